import { describe, expect, it } from "vitest";
import { bufferedStdoutWriter } from "./log-writer.ts";

describe("buffered log writer", () => {
  it("writes a turn's info lines in one chunk, in order, errors at once after them", async () => {
    const chunks: string[] = [];
    const errors: string[] = [];
    const write = bufferedStdoutWriter({
      out: (c) => chunks.push(c),
      err: (l) => errors.push(l),
      outSync: (c) => chunks.push(c),
    });
    write("info", "a");
    write("debug", "b");
    expect(chunks).toEqual([]);
    write("error", "boom");
    expect(chunks).toEqual(["a\nb\n"]);
    expect(errors).toEqual(["boom"]);
    write("info", "c");
    write("info", "d");
    await new Promise((r) => setImmediate(r));
    expect(chunks).toEqual(["a\nb\n", "c\nd\n"]);
  });

  it("writes at once past its size bound", () => {
    const chunks: string[] = [];
    const write = bufferedStdoutWriter({ maxChars: 10, out: (c) => chunks.push(c) });
    write("info", "12345");
    write("info", "67890");
    expect(chunks).toEqual(["12345\n67890\n"]);
  });
});
