import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesTag, textTag } from "./caching.ts";

describe("ETags", () => {
  it("tell apart texts that differ in one code unit, at even and odd positions and lengths", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 300 }),
        fc.nat(),
        fc.integer({ min: 1, max: 0xffff }),
        (text, at, delta) => {
          const i = at % text.length;
          const changed = String.fromCharCode((text.charCodeAt(i) + delta) % 0x10000);
          const other = text.slice(0, i) + changed + text.slice(i + 1);
          expect(textTag(other)).not.toBe(textTag(text));
          expect(textTag(text)).toBe(textTag(`${text}`));
          expect(textTag(text)).toMatch(/^W\/"[0-9a-f]{16}"$/);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("tell apart a text from the same text one unit longer or shorter, and bytes likewise", () => {
    expect(textTag("")).not.toBe(textTag("\u0000"));
    expect(textTag('{"a":1}')).not.toBe(textTag('{"a":1} '));
    expect(textTag('{"a":1}')).not.toBe(textTag('{"a":1'));
    expect(bytesTag(new Uint8Array([1, 2, 3]))).not.toBe(bytesTag(new Uint8Array([1, 2, 3, 0])));
  });
});
