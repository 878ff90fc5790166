import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareCodePoints } from "./code-point-order.ts";

/** SQLite's BINARY collation on text: memcmp of the UTF-8 bytes, then the shorter first. */
function utf8Order(a: string, b: string): number {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++)
    if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  return x.length - y.length;
}

describe("compareCodePoints", () => {
  it("orders as UTF-8 bytes do, where UTF-16 code units disagree", () => {
    expect(compareCodePoints("p\uffff", "p\u{1F600}")).toBeLessThan(0);
    expect(compareCodePoints("p\u{1F600}", "p\uffff")).toBeGreaterThan(0);
    expect(compareCodePoints("\ue000", "\u{10000}")).toBeLessThan(0);
    expect(compareCodePoints("a", "a")).toBe(0);
    expect(compareCodePoints("a", "ab")).toBeLessThan(0);
    expect(compareCodePoints("b", "ab")).toBeGreaterThan(0);
    expect(compareCodePoints("", "a")).toBeLessThan(0);
  });

  it("agrees in sign with the UTF-8 byte order on random well-formed strings", () => {
    const text = fc.string({
      unit: fc.constantFrom(
        "a",
        "z",
        "é",
        "€",
        "\ud7ff",
        "\ue000",
        "\uffff",
        "😀",
        "\u{10FFFF}",
        "\u0000",
      ),
      maxLength: 6,
    });
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(Math.sign(compareCodePoints(a, b))).toBe(Math.sign(utf8Order(a, b)));
      }),
      { numRuns: 3000 },
    );
  });
});
