import { describe, expect, it } from "vitest";
import { createLogger } from "../../../core/observability/logger.ts";
import { decodeBodySync, encodeBodySync } from "../../routes/assessments/stored.ts";
import { workerBodyCodec } from "./body-codec.ts";

const logger = createLogger({ service: "test", level: "silent" });

describe("worker body codec", () => {
  it("encodes as the in-process codec does and decodes its own and in-process bodies", async () => {
    const codec = workerBodyCodec(logger);
    try {
      const json = JSON.stringify({
        id: "asm_x",
        values: Array.from({ length: 500 }, (_, i) => i / 7),
      });
      const [a, b] = await Promise.all([codec.encode(json), codec.encode(`${json} `)]);
      expect(Buffer.from(a as Uint8Array)).toEqual(Buffer.from(encodeBodySync(json)));
      expect(decodeBodySync(b as Uint8Array)).toBe(`${json} `);
      expect(await codec.decode(encodeBodySync(json))).toBe(json);
      await expect(codec.decode(new Uint8Array([7, 0]))).rejects.toThrow(/unknown format 7/);
    } finally {
      await codec.close();
    }
  });

  it("falls back to the in-process codec when its worker is gone, then starts a new one", async () => {
    const codec = workerBodyCodec(logger);
    await codec.encode("{}");
    await codec.close();
    expect(await codec.decode(await codec.encode('{"a":1}'))).toBe('{"a":1}');
    await codec.close();
  });
});
