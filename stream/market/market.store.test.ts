import { createClient } from "@libsql/client";
import { describe, expect, it } from "vitest";
import type { SubsidyProgram } from "../../core/alerts/inputs.ts";
import { matchSubsidy } from "../../core/alerts/subsidy.ts";
import { createDatabase } from "../../core/db/database.ts";
import { marketEvents, marketPrices, subsidyPrograms } from "../../core/db/schema/index.ts";
import type { MarketEvent } from "../../core/events/market-event.ts";
import { listMarketEvents } from "../../core/market/history.ts";
import { latestPrices } from "../../core/market/prices.ts";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { createMarketStore } from "./market.store.ts";

const topic = "market.events.v1";
const group = "g-market";
const t0 = Date.UTC(2026, 10, 1);

async function setup() {
  const db = createDatabase(createClient({ url: ":memory:" }));
  await applyMigrations(db);
  const store = createMarketStore(db);
  let offset = 0;
  const apply = (events: MarketEvent[], partition = 0) =>
    store.apply(
      events.map((event) => ({ event, partition, offset: String(offset++) })),
      { consumerGroup: group, topic, partition, nextOffset: String(offset) },
      t0,
    );
  return { db, store, apply };
}

const price = (id: string, tsMs: number, value: number, region?: string): MarketEvent => ({
  id,
  ts: tsMs,
  kind: "price",
  market: "GR",
  carrier: "electricity",
  value,
  unit: "EUR/kWh",
  ...(region ? { region } : {}),
});

const subsidy = (id: string, tsMs: number, maxSubsidyPct: number): MarketEvent => ({
  id,
  ts: tsMs,
  kind: "subsidy",
  program: "exoikonomo",
  regions: ["Attica", "Crete"],
  maxSubsidyPct,
});

describe("market store", () => {
  it("keeps the latest price per carrier and region; older events only join the history", async () => {
    const { db, apply } = await setup();
    expect(await apply([price("a", t0 + 2000, 0.3, "Attica"), price("n", t0, 0.2)])).toEqual([
      "applied",
      "applied",
    ]);
    expect(await apply([price("old", t0 + 1000, 0.1, "Attica")])).toEqual(["superseded"]);
    const rows = await db.select().from(marketPrices).orderBy(marketPrices.region);
    expect(rows.map((r) => [r.region, r.eurPerKwh, r.eventId, r.asOfMs, r.source])).toEqual([
      ["", 0.2, "n", t0, topic],
      ["Attica", 0.3, "a", t0 + 2000, topic],
    ]);
    expect((await db.select().from(marketEvents)).map((e) => e.id).sort()).toEqual([
      "a",
      "n",
      "old",
    ]);
    // Assessments read the same rows: the regional price wins over the national one.
    const used = await latestPrices(db, "Attica");
    expect(used.electricity?.eurPerKwh).toBe(0.3);
  });

  it("ignores a replayed event id, even with other content, in the same batch or later", async () => {
    const { db, apply } = await setup();
    expect(await apply([price("p", t0, 0.2), price("p", t0 + 5000, 0.9)])).toEqual([
      "applied",
      "duplicate",
    ]);
    expect(await apply([price("p", t0 + 9000, 0.7)])).toEqual(["duplicate"]);
    expect((await db.select().from(marketPrices))[0]?.eurPerKwh).toBe(0.2);
    expect(await db.$count(marketEvents)).toBe(1);
  });

  it("breaks equal times by event id, so every arrival order ends in the same latest price", async () => {
    const a = await setup();
    const b = await setup();
    await a.apply([price("x1", t0, 0.1)]);
    await a.apply([price("x2", t0, 0.2)]);
    await b.apply([price("x2", t0, 0.2)]);
    await b.apply([price("x1", t0, 0.1)]);
    for (const { db } of [a, b]) {
      expect((await db.select().from(marketPrices))[0]).toMatchObject({
        eventId: "x2",
        eurPerKwh: 0.2,
      });
    }
  });

  it("keeps each subsidy program's latest version and regulations in the history", async () => {
    const { db, apply } = await setup();
    const outcomes = await apply([
      subsidy("s2", t0 + 10, 60),
      subsidy("s1", t0, 75),
      { id: "r1", ts: t0, kind: "regulation", title: "KENAK", summary: "new U-max" },
    ]);
    expect(outcomes).toEqual(["applied", "superseded", "applied"]);
    const programs = await db.select().from(subsidyPrograms);
    expect(programs).toEqual([
      expect.objectContaining({
        program: "exoikonomo",
        eventId: "s2",
        maxSubsidyPct: 60,
        regions: ["Attica", "Crete"],
      }),
    ]);
    // The history's filter column holds each region's key (trimmed, lower-cased); the event and the
    // program keep them as written.
    const history = await db.select().from(marketEvents).orderBy(marketEvents.id);
    expect(history.map((h) => [h.id, h.kind, h.program, h.regions])).toEqual([
      ["r1", "regulation", null, null],
      ["s1", "subsidy", "exoikonomo", ["attica", "crete"]],
      ["s2", "subsidy", "exoikonomo", ["attica", "crete"]],
    ]);
    expect(history[1]?.event).toMatchObject({ regions: ["Attica", "Crete"] });
  });

  it("stores subsidy regions so the history's region filter lists what a subsidy alert matches", async () => {
    const { db, apply } = await setup();
    const programs: SubsidyProgram[] = [
      ["s-lower", ["attica"]],
      ["s-spaced", [" Heraklion\u00a0", "Chania"]],
      ["s-upper", ["ATTICA"]],
      ["s-greek", ["ΚΡΉΤΗ"]],
      ["s-other", ["Larisa"]],
      ["s-all", "all" as const],
    ].map(([id, regions], i) => ({
      id: id as string,
      ts: t0 + i,
      kind: "subsidy",
      program: id as string,
      regions: regions as string[] | "all",
    }));
    await apply(programs);
    for (const region of [
      "Attica",
      " attica",
      "HERAKLION",
      "chania",
      "κρήτη",
      "Larisa",
      "Epirus",
    ]) {
      const listed = await listMarketEvents(db, { kind: "subsidy", region }, { limit: 50 });
      const alerted = programs
        .filter(
          (p) => matchSubsidy(p, { regions: [region], assessedClasses: [] }, "region", t0).matches,
        )
        .map((p) => p.id)
        .reverse();
      expect(
        listed.events.map((e) => e.id),
        region,
      ).toEqual(alerted);
    }
  });

  it("stores the offset with the batch, per partition", async () => {
    const { store, apply } = await setup();
    expect(await store.storedOffset(group, topic, 0)).toBeUndefined();
    await apply([price("p", t0, 0.2)]);
    await apply([], 1);
    expect(await store.storedOffset(group, topic, 0)).toBe(1n);
    expect(await store.storedOffset(group, topic, 1)).toBe(1n);
  });
});
