import { describe, expect, it } from "vitest";
import { createLogger } from "../../../core/observability/logger.ts";
import { utf8 } from "../../routes/assessments/json-text.ts";
import { decodeBodySync, encodeBodySync } from "../../routes/assessments/stored.ts";
import { workerBodyCodec } from "./body-codec.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const logger = createLogger({ service: "test", level: "silent" });

describe("worker body codec", () => {
  it("encodes as the in-process codec does and decodes its own and in-process bodies", async () => {
    const codec = workerBodyCodec(logger);
    try {
      const json = JSON.stringify({
        id: "asm_x",
        values: Array.from({ length: 500 }, (_, i) => i / 7),
      });
      const [a, b] = await Promise.all([codec.encode(utf8(json)), codec.encode(utf8(`${json} `))]);
      expect(Buffer.from(a as Uint8Array)).toEqual(Buffer.from(encodeBodySync(utf8(json))));
      expect(text(decodeBodySync(b as Uint8Array))).toBe(`${json} `);
      expect(text(await codec.decode(encodeBodySync(utf8(json))))).toBe(json);
      await expect(codec.decode(new Uint8Array([7, 0]))).rejects.toThrow(/unknown format 7/);
    } finally {
      await codec.close();
    }
  });

  it("falls back to the in-process codec when its worker is gone, then starts a new one", async () => {
    const codec = workerBodyCodec(logger);
    await codec.encode(utf8("{}"));
    await codec.close();
    expect(text(await codec.decode(await codec.encode(utf8('{"a":1}'))))).toBe('{"a":1}');
    await codec.close();
  });
});
