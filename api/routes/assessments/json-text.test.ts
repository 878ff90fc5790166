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
          expect(Buffer.from(utf8(text))).toEqual(Buffer.from(encoder.encode(text)));
        },
      ),
      { numRuns: 500 },
    );
  });

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
