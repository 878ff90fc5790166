import { describe, expect, it } from "vitest";
import { resolveTiers, type SloDefinition, sloDefinitionSchema } from "./definition.ts";
import { computeSloStatus, sloCountWindows, type WindowCounts } from "./status.ts";

const slo = (overrides: Partial<Record<string, unknown>> = {}): SloDefinition =>
  sloDefinitionSchema.parse({
    name: "edge availability",
    service: "edge-api",
    sli: { kind: "availability" },
    objective: 0.999,
    window: { kind: "rolling", days: 30 },
    ...overrides,
  });

/** Per-minute counts from a function of the minute's start, summed over each window. */
function countsFrom(
  def: SloDefinition,
  nowMs: number,
  perMinute: (minuteStartMs: number, nowMs: number) => WindowCounts,
) {
  const counts = new Map<string, WindowCounts>();
  for (const w of sloCountWindows(def, nowMs)) {
    let total = 0;
    let good = 0;
    for (let m = w.fromMs; m < w.toMs; m += 60_000) {
      const c = perMinute(m, nowMs);
      total += c.total;
      good += c.good;
    }
    // (hour-granular windows are summed here from the same minutes: both are exact sums)
    counts.set(w.key, { total, good });
  }
  return counts;
}

const now = Date.UTC(2026, 10, 22, 12, 0, 30);

describe("tier factors", () => {
  it("are the SRE workbook's for 30 days and are recomputed from other window lengths", () => {
    expect(resolveTiers(slo(), now).map((t) => t.factor)).toEqual([14.4, 6, 1]);
    const d28 = resolveTiers(slo({ window: { kind: "rolling", days: 28 } }), now).map(
      (t) => t.factor,
    );
    expect(d28[0]).toBeCloseTo(13.44, 6);
    expect(d28[1]).toBeCloseTo(5.6, 6);
    expect(d28[2]).toBeCloseTo(0.933333, 5);
    // November has 30 days in Athens as anywhere: the calendar month gives the 30-day factors.
    const cal = resolveTiers(
      slo({ window: { kind: "calendar", unit: "month", timeZone: "Europe/Athens" } }),
      now,
    );
    expect(cal.map((t) => t.factor)).toEqual([14.4, 6, 1]);
  });
});

describe("burn rates and budget against closed forms", () => {
  it("constant 1% errors at objective 99.9% is burn rate 10 in every window and a spent budget", () => {
    const def = slo();
    const status = computeSloStatus(
      def,
      now,
      countsFrom(def, now, () => ({ total: 1000, good: 990 })),
    );
    for (const tier of status.tiers) {
      expect(tier.longWindow.burnRate).toBeCloseTo(10, 9);
      expect(tier.shortWindow.burnRate).toBeCloseTo(10, 9);
    }
    expect(status.tiers.map((t) => t.state)).toEqual(["ok", "firing", "firing"]); // 10 < 14.4; > 6; > 1
    expect(status.state).toBe("critical");
    // 30 days of 1% bad against an allowance of 0.1%: remaining = 1 - 10 = -9.
    expect(status.budget.remaining).toBeCloseTo(-9, 9);
    expect(status.budget.total).toBe(1000 * 30 * 24 * 60);
  });

  it("at exactly burn rate 1 (1 error in 1,000 at 99.9%) the factor-1 ticket does not fire; just above it does", () => {
    const def = slo();
    const at = (total: number, good: number) =>
      computeSloStatus(
        def,
        now,
        countsFrom(def, now, () => ({ total, good })),
      ).tiers.map((t) => `${t.name}:${t.state}`);
    expect(at(1000, 999)).toEqual(["page-fast:ok", "page-slow:ok", "ticket:ok"]);
    // Other totals whose division rounds either way around 1.
    for (const total of [3000, 7000, 10_000, 33_000, 99_000])
      expect(at(total, total - total / 1000)).toContain("ticket:ok");
    expect(at(1_000_000, 998_999)).toContain("ticket:firing"); // burn rate 1.001
    // At exactly 6x and 14.4x the pages hold too.
    expect(at(1000, 994)).toEqual(["page-fast:ok", "page-slow:ok", "ticket:firing"]);
    expect(at(10_000, 9856)).toEqual(["page-fast:ok", "page-slow:firing", "ticket:firing"]);
  });

  it("a clean service has burn rate 0 and a full budget", () => {
    const def = slo();
    const status = computeSloStatus(
      def,
      now,
      countsFrom(def, now, () => ({ total: 50, good: 50 })),
    );
    expect(status.state).toBe("ok");
    expect(status.tiers.every((t) => t.state === "ok" && t.longWindow.burnRate === 0)).toBe(true);
    expect(status.budget.remaining).toBe(1);
  });

  it("detects a full outage with the 1h/5m 14.4x tier after 0.864 minutes (± the minute granularity)", () => {
    const def = slo();
    const outageStart = Date.UTC(2026, 10, 22, 12, 0, 0);
    const ratePerS = 10;
    // Counts per minute bucket up to "now": good before the outage, bad after, partial current minute.
    const perMinute = (m: number, at: number): WindowCounts => {
      const end = Math.min(m + 60_000, at);
      if (end <= m) return { total: 0, good: 0 };
      const seconds = (end - m) / 1000;
      const badSeconds = Math.max(0, (end - Math.max(m, outageStart)) / 1000);
      return { total: seconds * ratePerS, good: (seconds - badSeconds) * ratePerS };
    };
    let detectedAfterS: number | undefined;
    for (let s = 1; s <= 300 && detectedAfterS === undefined; s++) {
      const at = outageStart + s * 1000;
      const status = computeSloStatus(def, at, countsFrom(def, at, perMinute));
      if (status.tiers[0]?.state === "firing") detectedAfterS = s;
    }
    // Closed form: 1h × 14.4 × (1 - 0.999) / 100% errors = 51.84 s.
    expect(detectedAfterS).toBeGreaterThanOrEqual(51);
    expect(detectedAfterS).toBeLessThanOrEqual(53);
  });

  it("reports no data as a state, never NaN, and guards low traffic", () => {
    const def = slo({ minEvents: 100 });
    const none = computeSloStatus(def, now, new Map());
    expect(none.state).toBe("no_data");
    expect(none.budget.remaining).toBeNull();
    expect(none.tiers.every((t) => t.state === "no_data" && t.longWindow.burnRate === null)).toBe(
      true,
    );
    expect(JSON.stringify(none)).not.toContain("NaN");

    // A trickle of failing requests: burn rates are high but below minEvents nothing fires.
    const trickle = computeSloStatus(
      def,
      now,
      countsFrom(def, now, (m) =>
        m % 3_600_000 === 0 ? { total: 1, good: 0 } : { total: 0, good: 0 },
      ),
    );
    const fast = trickle.tiers[0];
    expect(fast?.state === "no_data" || fast?.state === "insufficient_data").toBe(true);
    expect(trickle.tiers.some((t) => t.state === "firing")).toBe(false);
  });

  it("after a no-traffic period the budget counts only real events", () => {
    const def = slo();
    // Traffic only in the last 2 hours, 0.05% bad.
    const status = computeSloStatus(
      def,
      now,
      countsFrom(def, now, (m, at) =>
        m >= at - 2 * 3_600_000 ? { total: 2000, good: 1999 } : { total: 0, good: 0 },
      ),
    );
    expect(status.budget.remaining).toBeCloseTo(0.5, 9);
    expect(status.tiers[2]?.longWindow.burnRate).toBeCloseTo(0.5, 9);
  });

  it("counts a calendar month from its first instant in the SLO's time zone", () => {
    const def = slo({ window: { kind: "calendar", unit: "month", timeZone: "Europe/Athens" } });
    const at = Date.UTC(2026, 10, 1, 0, 30); // 02:30 on 1 November in Athens (UTC+2)
    const budget = sloCountWindows(def, at).find((w) => w.key === "budget");
    expect(budget?.fromMs).toBe(Date.UTC(2026, 9, 31, 22, 0)); // Athens midnight
    expect(budget?.granularity).toBe("hour");
  });
});

/** The same counts in every window (a status at one instant, burn rates compared across windows). */
const uniform = (def: SloDefinition, at: number, total: number, bad: number) =>
  new Map(sloCountWindows(def, at).map((w) => [w.key, { total, good: total - bad }]));

describe("exact comparisons and figures", () => {
  it("fires a tier only strictly above its factor, compared exactly (28 days: 14/15; January: 31/30)", () => {
    const ticket = (def: SloDefinition, at: number, total: number, bad: number) =>
      computeSloStatus(def, at, uniform(def, at, total, bad)).tiers.find(
        (t) => t.name === "ticket",
      );
    const d28 = slo({ window: { kind: "rolling", days: 28 } });
    // 14 bad of 15,000 at 99.9% burns 14/15: exactly the ticket's factor 0.1 × 28d / 3d.
    const at = ticket(d28, now, 15_000, 14);
    expect(at?.state).toBe("ok");
    expect(at?.factor).toBe(0.933333); // reported rounded, compared exactly
    expect(at?.longWindow.burnRate).toBe(14 / 15);
    expect(ticket(d28, now, 15_000_000, 14_001)?.state).toBe("firing"); // 0.93340 > 0.93333…
    const january = slo({
      objective: 0.99,
      window: { kind: "calendar", unit: "month", timeZone: "UTC" },
    });
    const mid = Date.UTC(2026, 0, 20, 12);
    expect(ticket(january, mid, 3000, 31)?.state).toBe("ok"); // 31/30 = 0.1 × 744h / 72h
    expect(ticket(january, mid, 3000, 31)?.longWindow.burnRate).toBe(31 / 30);
    expect(ticket(january, mid, 3000, 32)?.state).toBe("firing");
  });

  it("reads an exactly spent budget as 0 and a burn at exactly the budget as 1", () => {
    for (const [objective, total, bad] of [
      [0.999, 1000, 1],
      [0.99, 100, 1],
      [0.9, 10, 1],
      [0.99999, 100_000, 1],
      [0.999, 2000, 2],
      [0.9995, 20_000, 10],
    ] as const) {
      const def = slo({ objective });
      const status = computeSloStatus(def, now, uniform(def, now, total, bad));
      expect(status.budget.remaining, `${objective} ${total} ${bad}`).toBe(0);
      expect(status.budget.allowedBad).toBe(bad);
      for (const tier of status.tiers) {
        expect(tier.longWindow.burnRate).toBe(1);
        expect(tier.shortWindow.burnRate).toBe(1);
      }
      expect(JSON.parse(JSON.stringify(status)).budget.remaining).toBe(0);
    }
    const def = slo();
    const twice = computeSloStatus(def, now, uniform(def, now, 1000, 2));
    expect(twice.budget.remaining).toBe(-1);
    expect(twice.tiers[0]?.longWindow.burnRate).toBe(2);
  });
});

describe("calendar months that do not start on a whole UTC hour", () => {
  const kolkata = slo({
    objective: 0.99,
    window: { kind: "calendar", unit: "month", timeZone: "Asia/Kolkata" },
  });
  const juneStart = Date.UTC(2026, 4, 31, 18, 30); // 1 June 00:00 IST
  // 100 errors at 23:40 IST on 31 May (previous month), 100 good events on 5 June.
  const perMinute = (m: number): WindowCounts =>
    m === Date.UTC(2026, 4, 31, 18, 10)
      ? { total: 100, good: 0 }
      : m === Date.UTC(2026, 5, 5, 12)
        ? { total: 100, good: 100 }
        : m === Date.UTC(2026, 4, 31, 18, 40)
          ? { total: 10, good: 10 }
          : { total: 0, good: 0 };

  it("counts the month's first partial hour from minute buckets, the rest from hours", () => {
    const at = Date.UTC(2026, 5, 10, 12, 0, 30);
    const windows = sloCountWindows(kolkata, at).filter((w) => w.key.startsWith("budget"));
    expect(windows).toEqual(
      expect.arrayContaining([
        {
          key: "budget-head",
          fromMs: juneStart,
          toMs: Date.UTC(2026, 4, 31, 19),
          granularity: "minute",
        },
        {
          key: "budget",
          fromMs: Date.UTC(2026, 4, 31, 19),
          toMs: Date.UTC(2026, 5, 10, 13),
          granularity: "hour",
        },
      ]),
    );
    const status = computeSloStatus(kolkata, at, countsFrom(kolkata, at, perMinute));
    expect(status.budget.windowStart).toBe(new Date(juneStart).toISOString());
    expect(status.budget).toMatchObject({ total: 110, bad: 0, remaining: 1 });
  });

  it("within the first partial hour counts minutes from the month's first instant", () => {
    const at = Date.UTC(2026, 4, 31, 18, 45, 10);
    const status = computeSloStatus(kolkata, at, countsFrom(kolkata, at, perMinute));
    expect(status.budget.windowStart).toBe(new Date(juneStart).toISOString());
    expect(status.budget).toMatchObject({ total: 10, bad: 0 });
  });

  it("keeps whole-hour zones on hour buckets alone", () => {
    const def = slo({ window: { kind: "calendar", unit: "month", timeZone: "Europe/Athens" } });
    expect(
      sloCountWindows(def, now)
        .filter((w) => w.key.startsWith("budget"))
        .map((w) => w.key),
    ).toEqual(["budget"]);
  });
});

describe("definition validation", () => {
  it("names the failing fields", () => {
    const result = sloDefinitionSchema.safeParse({
      name: "",
      service: "bad service",
      sli: { kind: "latency" },
      objective: 1,
      window: { kind: "calendar", unit: "month", timeZone: "Mars/Olympus" },
      tiers: [
        { name: "x", severity: "page", longWindow: "5m", shortWindow: "1h", budgetConsumed: 0.02 },
      ],
    });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((i) => i.path.join(".")) ?? [];
    for (const p of ["name", "service", "sli.thresholdMs", "objective", "window.timeZone"])
      expect(paths).toContain(p);
  });
});
