import { describe, expect, it } from "vitest";
import { calendarMonth, monthHeadsOffTheHour } from "./calendar.ts";

const yearMonths = new Map<string, Intl.DateTimeFormat>();
/** Months since year 0 of the wall clock in `timeZone` at `ms` (a reference independent of calendar.ts). */
function monthIndex(ms: number, timeZone: string): number {
  let f = yearMonths.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone, year: "numeric", month: "numeric" });
    yearMonths.set(timeZone, f);
  }
  const parts = Object.fromEntries(
    f
      .formatToParts(new Date(ms))
      .filter((p) => p.type !== "literal")
      .map((p) => [p.type, Number(p.value)]),
  );
  return (parts.year as number) * 12 + (parts.month as number) - 1;
}

/** The first instant of a month by brute force: 15-minute steps, then the exact minute. */
function referenceStart(year: number, month0: number, timeZone: string): number {
  const target = year * 12 + month0;
  const guess = Date.UTC(year, month0, 1);
  for (let t = guess - 20 * 3_600_000; t <= guess + 20 * 3_600_000; t += 15 * 60_000) {
    if (monthIndex(t, timeZone) === target) {
      let first = t;
      while (monthIndex(first - 60_000, timeZone) === target) first -= 60_000;
      return first;
    }
  }
  throw new Error(`no start found for ${timeZone} ${year}-${month0 + 1}`);
}

describe("calendar months", () => {
  it("start at the first instant of the month when local midnight is skipped (Asunción, October 2023)", () => {
    const october = calendarMonth(Date.UTC(2023, 9, 15, 12), "America/Asuncion");
    expect(new Date(october.startMs).toISOString()).toBe("2023-10-01T04:00:00.000Z"); // 01:00 -03
    // At 23:30 on 30 September (-04), the month is still September and ends after now.
    const late = Date.UTC(2023, 9, 1, 3, 30);
    const september = calendarMonth(late, "America/Asuncion");
    expect(new Date(september.startMs).toISOString()).toBe("2023-09-01T04:00:00.000Z");
    expect(september.endMs).toBe(october.startMs);
    expect(september.endMs).toBeGreaterThan(late);
  });

  it.each([
    "America/Asuncion",
    "Europe/Athens",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "America/Santiago",
    "America/Havana",
    "America/St_Johns",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "Africa/Casablanca",
    "Antarctica/Troll",
    "Europe/Dublin",
    "UTC",
  ])("match a brute-force search in %s, 2019-2027", (timeZone) => {
    const wrong: string[] = [];
    let next = referenceStart(2019, 0, timeZone);
    for (let i = 0; i < 9 * 12; i++) {
      const [year, month0] = [2019 + Math.floor(i / 12), i % 12];
      const start = next;
      next = referenceStart(year + Math.floor((month0 + 1) / 12), (month0 + 1) % 12, timeZone);
      for (const at of [start, start + 10 * 86_400_000, next - 1]) {
        const got = calendarMonth(at, timeZone);
        if (got.startMs !== start || got.endMs !== next)
          wrong.push(`${year}-${month0 + 1} at ${new Date(at).toISOString()}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe("month heads off the hour", () => {
  const now = Date.UTC(2026, 5, 10, 12);

  it("cover the first partial UTC hour of the current month of every listed zone", () => {
    const heads = monthHeadsOffTheHour(now);
    const covered = (ms: number) => heads.some((h) => h.fromMs <= ms && ms < h.toMs);
    for (const timeZone of Intl.supportedValuesOf("timeZone")) {
      const { startMs } = calendarMonth(now, timeZone);
      const hourEnd = Math.ceil(startMs / 3_600_000) * 3_600_000;
      for (let m = startMs; m < hourEnd; m += 60_000) expect(covered(m), timeZone).toBe(true);
    }
    // Kolkata's June starts at 18:30 UTC on 31 May; Kathmandu's at 18:15.
    expect(heads).toContainEqual({
      fromMs: Date.UTC(2026, 4, 31, 18, 15),
      toMs: Date.UTC(2026, 4, 31, 19),
    });
    // Nothing else: no head holds a whole hour, so hour-aligned zones keep nothing extra.
    for (const h of heads) {
      expect(h.toMs % 3_600_000).toBe(0);
      expect(h.toMs - h.fromMs).toBeLessThan(3_600_000);
    }
  });
});
