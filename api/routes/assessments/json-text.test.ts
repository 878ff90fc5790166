import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { utf8 } from "./json-text.ts";

const encoder = new TextEncoder();

describe("utf8", () => {
  it("gives exactly TextEncoder's bytes, for any text (lone surrogates included) and any length", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "grapheme", maxLength: 400 }),
          fc.string({
            unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
          }),
          fc.string({ unit: "binary", maxLength: 100 }),
        ),
        (text) => {
          // Buffer.equals: vitest's deep equality of two long buffers took seconds over the runs.
          expect(Buffer.from(utf8(text)).equals(Buffer.from(encoder.encode(text)))).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
    // 500 runs take 2-4 s on the 2-core machine, more beside other suites: past the default 5 s.
  }, 30_000);

  it("returns its own bytes each time (not a view of shared memory), also past the scratch size", () => {
    const a = utf8('{"a":"Εξοικονόμηση"}');
    const b = utf8('{"b":"κατ\' οίκον"}');
    expect(new TextDecoder().decode(a)).toBe('{"a":"Εξοικονόμηση"}');
    expect(new TextDecoder().decode(b)).toBe('{"b":"κατ\' οίκον"}');
    expect(a.buffer).not.toBe(b.buffer);
    const long = "Δ".repeat(200_000);
    expect(Buffer.from(utf8(long))).toEqual(Buffer.from(encoder.encode(long)));
  });
});
