import { afterEach, describe, expect, it } from "vitest";
import {
  type AlertRule,
  parseAlertRule,
  sloBurnRules,
  subsidyProgramVersion,
} from "../../core/alerts/index.ts";
import { assessments, subsidyPrograms } from "../../core/db/schema/index.ts";
import type { MarketEvent } from "../../core/events/market-event.ts";
import { countWindows } from "../../core/latency/window-queries.ts";
import { computeSloStatus, sloCountWindows } from "../../core/slo/status.ts";
import { gatherInputs, newInputCache, programOf, subscriberProfile } from "./inputs.ts";
import {
  fastBurnSlo,
  insertMarketEvent,
  insertMinute,
  insertSlo,
  insertTenant,
  openTestDatabase,
  priceEvent,
} from "./testing.ts";

const MIN = 60_000;
const HOUR = 3_600_000;
const now = Date.UTC(2026, 10, 30, 12, 30, 20);
const minuteStart = now - (now % MIN);

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

async function setup() {
  const t = await openTestDatabase();
  cleanup = t.close;
  const tenantId = await insertTenant(t.db, "ten_a");
  return { ...t, tenantId };
}

describe("gatherInputs", () => {
  it("SLO tier statuses are computed from the stored windows as the status endpoint does", async () => {
    const { db, tenantId } = await setup();
    const definition = await insertSlo(db, tenantId, "slo_1", fastBurnSlo("api", 5));
    // The current minute: 10 of 20 requests fail. An hour ago: clean traffic.
    await insertMinute(db, {
      service: "api",
      route: "/a",
      bucketStartMs: minuteStart,
      durationsMs: Array(20).fill(10),
      bad: 10,
    });
    await insertMinute(db, {
      service: "api",
      route: "/a",
      bucketStartMs: minuteStart - HOUR,
      durationsMs: Array(50).fill(10),
    });
    const rules = sloBurnRules({ id: "slo_1", definition });
    const { inputs, problems } = await gatherInputs(db, {
      tenantId,
      nowMs: now,
      rules,
      slos: [{ id: "slo_1", definition }],
    });
    expect(problems).toEqual([]);
    const expected = computeSloStatus(
      definition,
      now,
      await countWindows(db, { service: "api", routes: [] }, sloCountWindows(definition, now)),
    ).tiers;
    expect(inputs.slo).toEqual([{ sloId: "slo_1", tiers: expected }]);
    expect(inputs.slo?.[0]?.tiers[0]).toMatchObject({ state: "firing" });
    expect(inputs.slo?.[0]?.tiers[0]?.shortWindow).toMatchObject({ total: 20, bad: 10 });
    // SLOs no rule refers to are not read.
    const none = await gatherInputs(db, {
      tenantId,
      nowMs: now,
      rules: [],
      slos: [{ id: "slo_1", definition }],
    });
    expect(none.inputs.slo).toBeUndefined();
  });

  it("latency quantiles cover the rule's window only, per service or route", async () => {
    const { db, tenantId } = await setup();
    await insertMinute(db, {
      service: "api",
      route: "/a",
      bucketStartMs: minuteStart,
      durationsMs: [...Array(98).fill(10), 900, 900],
    });
    await insertMinute(db, {
      service: "api",
      route: "/b",
      bucketStartMs: minuteStart - 2 * MIN,
      durationsMs: Array(100).fill(5000),
    });
    const rule = (id: string, window: "1m" | "5m", route?: string): AlertRule =>
      parseAlertRule({
        id,
        name: "Slow",
        kind: "latency_threshold",
        severity: "ticket",
        params: {
          service: "api",
          ...(route ? { route } : {}),
          quantile: "p99",
          window,
          thresholdMs: 500,
        },
      });
    const { inputs } = await gatherInputs(db, {
      tenantId,
      nowMs: now,
      rules: [rule("one", "1m"), rule("five", "5m"), rule("route", "1m", "/a")],
      slos: [],
    });
    const obs = (window: string, route: string | null) =>
      inputs.latency?.find((o) => o.window === window && o.route === route)?.quantiles;
    expect(obs("1m", null)?.count).toBe(100);
    expect(obs("1m", null)?.p99).toBeCloseTo(900, -1);
    expect(obs("5m", null)?.count).toBe(200);
    expect(obs("5m", null)?.p99).toBeCloseTo(5000, -2);
    expect(obs("1m", "/a")?.count).toBe(100);
  });

  it("price points: the window's points and the last one at or before its start, per region", async () => {
    const { db, tenantId } = await setup();
    for (const e of [
      priceEvent("p1", now - 5 * HOUR, 0.1),
      priceEvent("p2", now - 3 * HOUR, 0.2),
      priceEvent("p3", now - 30 * MIN, 0.3),
      priceEvent("future", now + MIN, 9),
      priceEvent("crete", now - 10 * MIN, 0.5, "Crete"),
    ])
      await insertMarketEvent(db, e);
    const change = parseAlertRule({
      id: "change",
      name: "PriceJump",
      kind: "market_price",
      severity: "info",
      params: { carrier: "electricity", condition: { op: "change_pct", window: "1h", pct: 40 } },
    });
    const above = parseAlertRule({
      id: "above",
      name: "PriceHigh",
      kind: "market_price",
      severity: "info",
      params: {
        carrier: "electricity",
        region: "Crete",
        condition: { op: "above", thresholdEurPerKwh: 0.4 },
      },
    });
    const { inputs } = await gatherInputs(db, {
      tenantId,
      nowMs: now,
      rules: [change, above],
      slos: [],
    });
    const points = inputs.prices?.map((p) => [p.region ?? "", p.eurPerKwh]);
    // 1h window: 0.30 inside it, 0.20 in effect when it opened; not 0.10, not the future point.
    expect(points).toEqual([
      ["", 0.2],
      ["", 0.3],
      ["Crete", 0.5],
    ]);
  });

  it("subscriber profile: the tenant's assessed prefectures and classes; programs keep their version", async () => {
    const { db, tenantId } = await setup();
    const other = await insertTenant(db, "ten_b");
    const assessment = (
      id: string,
      tenant: string,
      prefecture: string | null,
      energyClass: string,
    ) => ({
      id,
      tenantId: tenant,
      createdAtMs: now,
      engineVersion: "test",
      input: (prefecture ? { location: { prefecture } } : { location: { zone: "B" } }) as never,
      result: {} as never,
      climateZone: "B",
      buildingType: "apartment",
      constructionYear: 1980,
      heatedFloorAreaM2: 80,
      primaryEnergyKwhM2: 200,
      energyClass,
      ratio: 1.2,
      annualCostEur: 1000,
      co2KgM2: 40,
    });
    await db
      .insert(assessments)
      .values([
        assessment("a1", tenantId, "Attica", "D"),
        assessment("a2", tenantId, "Crete", "B"),
        assessment("a3", tenantId, null, "D"),
        assessment("a4", other, "Epirus", "G"),
      ]);
    expect(await subscriberProfile(db, tenantId)).toEqual({
      regions: ["Attica", "Crete"],
      assessedClasses: ["B", "D"],
    });

    const event: Extract<MarketEvent, { kind: "subsidy" }> = {
      id: "evt-9",
      ts: now - HOUR,
      kind: "subsidy",
      program: "exo",
      regions: ["Attica"],
      minClassJump: 2,
      maxSubsidyPct: 60,
      closesAt: now + 30 * 24 * HOUR,
    };
    await db.insert(subsidyPrograms).values({
      program: "exo",
      eventId: "evt-9",
      tsMs: event.ts,
      regions: ["Attica"],
      minClassJump: 2,
      maxSubsidyPct: 60,
      maxBudgetEur: null,
      opensAtMs: null,
      closesAtMs: event.closesAt ?? null,
      url: null,
      updatedAtMs: now,
    });
    const [row] = await db.select().from(subsidyPrograms);
    expect(row && subsidyProgramVersion(programOf(row))).toBe(subsidyProgramVersion(event));

    const rule = parseAlertRule({
      id: "sub",
      name: "Subsidy",
      kind: "market_subsidy",
      severity: "info",
      params: { match: "region" },
    });
    const { inputs } = await gatherInputs(db, { tenantId, nowMs: now, rules: [rule], slos: [] });
    expect(inputs.subsidies?.programs.map((p) => p.program)).toEqual(["exo"]);
    expect(inputs.subsidies?.subscriber.regions).toEqual(["Attica", "Crete"]);
  });

  it("a failing read is reported and leaves only that input out", async () => {
    const { db, client, tenantId } = await setup();
    await client.execute("drop table request_minutes");
    await insertMarketEvent(db, priceEvent("p", now - MIN, 0.3));
    const latency = parseAlertRule({
      id: "lat",
      name: "Slow",
      kind: "latency_threshold",
      severity: "ticket",
      params: { service: "api", quantile: "p99", window: "1m", thresholdMs: 500 },
    });
    const price = parseAlertRule({
      id: "price",
      name: "High",
      kind: "market_price",
      severity: "info",
      params: { carrier: "electricity", condition: { op: "above", thresholdEurPerKwh: 0.1 } },
    });
    const { inputs, problems } = await gatherInputs(db, {
      tenantId,
      nowMs: now,
      rules: [latency, price],
      slos: [],
    });
    expect(problems.map((p) => [p.kind, p.id])).toEqual([["latency", "lat"]]);
    expect(inputs.latency).toBeUndefined();
    expect(inputs.prices).toHaveLength(1);
  });

  it("a tick's cache gives every tenant exactly the inputs an uncached read gives", async () => {
    const { db, tenantId } = await setup();
    const definition = await insertSlo(db, tenantId, "slo_1", fastBurnSlo("api", 5));
    await insertMinute(db, {
      service: "api",
      route: "/a",
      bucketStartMs: minuteStart,
      durationsMs: [...Array(20).fill(10), 900],
      bad: 4,
    });
    for (const e of [
      priceEvent("p1", now - 3 * HOUR, 0.2),
      priceEvent("p2", now - 30 * MIN, 0.3),
      priceEvent("crete", now - 10 * MIN, 0.5, "Crete"),
    ])
      await insertMarketEvent(db, e);
    const latency = parseAlertRule({
      id: "slow",
      name: "Slow",
      kind: "latency_threshold",
      severity: "ticket",
      params: { service: "api", quantile: "p99", window: "5m", thresholdMs: 500 },
    });
    const price = (id: string, region?: string, window?: "1h") =>
      parseAlertRule({
        id,
        name: "Price",
        kind: "market_price",
        severity: "info",
        params: {
          carrier: "electricity",
          ...(region ? { region } : {}),
          condition: window
            ? { op: "change_pct", window, pct: 10 }
            : { op: "above", thresholdEurPerKwh: 0.4 },
        },
      });
    // Tenants reading overlapping inputs in different orders, and one reading nothing shared.
    const tenants: { rules: AlertRule[]; slos: { id: string; definition: typeof definition }[] }[] =
      [
        {
          rules: [
            ...sloBurnRules({ id: "slo_1", definition }),
            latency,
            price("a"),
            price("b", "", "1h"),
          ],
          slos: [{ id: "slo_1", definition }],
        },
        { rules: [price("b", "", "1h"), latency, price("a")], slos: [] },
        { rules: [price("c", "Crete"), price("a"), latency, latency], slos: [] },
        { rules: sloBurnRules({ id: "slo_2", definition }), slos: [{ id: "slo_2", definition }] },
        { rules: [], slos: [] },
      ];
    const cache = newInputCache();
    for (const round of [1, 2]) {
      for (const t of tenants) {
        const uncached = await gatherInputs(db, { tenantId, nowMs: now, ...t });
        const cached = await gatherInputs(db, { tenantId, nowMs: now, ...t, cache });
        expect(cached, `round ${round}`).toEqual(uncached);
      }
    }
    // Another instant: nothing of the previous one is served.
    const later = now + 2 * MIN;
    const t0 = tenants[0] as (typeof tenants)[number];
    expect(await gatherInputs(db, { tenantId, nowMs: later, ...t0, cache })).toEqual(
      await gatherInputs(db, { tenantId, nowMs: later, ...t0 }),
    );
  });
});
