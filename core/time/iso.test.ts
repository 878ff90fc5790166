import { describe, expect, it } from "vitest";
import { createRng } from "../random/rng.ts";
import { isoTime } from "./iso.ts";

const toIso = (ms: number) => new Date(ms).toISOString();

describe("isoTime", () => {
  it("writes what toISOString writes, at day, year and range boundaries", () => {
    const edges = [
      0,
      1,
      999,
      1000,
      59_999,
      60_000,
      3_599_999,
      3_600_000,
      86_399_999,
      86_400_000,
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2024, 2, 1),
      Date.UTC(2026, 11, 31, 23, 59, 59, 999),
      Date.UTC(2027, 0, 1),
      253_402_300_799_999,
      253_402_300_800_000,
      -1,
      -86_400_001,
      1.5,
      8.64e15,
      -8.64e15,
    ];
    for (const ms of edges) expect(isoTime(ms), String(ms)).toBe(toIso(ms));
  });

  it("writes what toISOString writes over random times, in and out of order", () => {
    const rng = createRng(20261207);
    const now = Date.UTC(2026, 11, 7);
    for (let i = 0; i < 20_000; i++) {
      // Mostly near one another (a page of rows), sometimes anywhere in 1970-9999.
      const ms =
        i % 10 === 0
          ? Math.floor(rng() * 253_402_300_800_000)
          : now - Math.floor(rng() * 5 * 86_400_000);
      expect(isoTime(ms)).toBe(toIso(ms));
    }
  });

  it("throws for times toISOString refuses", () => {
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
  });
});
