import { describe, expect, it } from "vitest";
import { compare, decimal, minus, one, over, ratio, times, toNumber } from "./exact.ts";

describe("exact fractions", () => {
  it("read numbers as the decimals they are written as", () => {
    expect(decimal(0.999)).toEqual({ num: 999n, den: 1000n });
    expect(decimal(1e-7)).toEqual({ num: 1n, den: 10_000_000n });
    expect(decimal(2.5e21)).toEqual({ num: 2_500_000_000_000_000_000_000n, den: 1n });
    expect(decimal(-0.25)).toEqual({ num: -1n, den: 4n });
    expect(minus(one, decimal(0.999))).toEqual({ num: 1n, den: 1000n });
  });

  it("compare exactly where binary fractions round", () => {
    // 0.1 × 28 days / 3 days against 14 bad of 15,000 at 99.9%: both 14/15.
    const factor = times(decimal(0.1), ratio(28n, 3n));
    const burn = over(ratio(14n, 15_000n), minus(one, decimal(0.999)));
    expect(compare(burn, factor)).toBe(0);
    expect(compare(over(ratio(14_001n, 15_000_000n), minus(one, decimal(0.999))), factor)).toBe(1);
  });

  it("round to the nearest number once", () => {
    expect(toNumber(ratio(14n, 15n))).toBe(14 / 15);
    expect(toNumber(ratio(-3n, 1n))).toBe(-3);
    const huge = ratio(10n ** 30n + 1n, 3n * 10n ** 29n);
    expect(toNumber(huge)).toBe(10 / 3);
  });
});
