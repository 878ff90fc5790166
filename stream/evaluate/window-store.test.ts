import { createClient } from "@libsql/client";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDatabase } from "../../core/db/database.ts";
import { requestMinutes } from "../../core/db/schema/index.ts";
import type { PartialAggregate } from "../../core/events/aggregate.ts";
import {
  decodeHistogram,
  encodeHistogram,
  mergeInto,
  newLatencyHistogram,
  toMicros,
} from "../../core/latency/histogram.ts";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { createWindowStore } from "./window-store.ts";

const t0 = Date.UTC(2026, 10, 1, 10, 58);

async function open(options: Parameters<typeof createWindowStore>[1]) {
  const db = createDatabase(createClient({ url: ":memory:" }));
  await applyMigrations(db);
  return { db, store: createWindowStore(db, options) };
}

/** A partial of `series` in minute `minute` (after t0), its durations spread by `seed`. */
function partial(series: number, minute: number, seed: number): PartialAggregate {
  const histogram = newLatencyHistogram();
  const total = 5 + ((series * 7 + seed) % 20);
  let within = 0;
  for (let i = 0; i < total; i++) {
    const ms = 1 + ((series * 131 + seed * 17 + i * 37) % 4000) / 10;
    if (ms <= 100) within++;
    histogram.recordValue(toMicros(ms));
  }
  return {
    v: 1,
    service: `svc-${series % 3}`,
    route: `/r/${series}`,
    bucketStartMs: t0 + minute * 60_000,
    total,
    good: total - (seed % 2),
    goodWithin: [[100, within]],
    histogram: encodeHistogram(histogram),
    closed: false,
  };
}

const rows = async (db: Awaited<ReturnType<typeof open>>["db"], table: string) =>
  (
    await db.run(
      sql.raw(
        `select service, route, bucket_start_ms, total, good, good_within, histogram, updated_at_ms from ${table} order by service, route, bucket_start_ms`,
      ),
    )
  ).rows.map((r) => ({ ...r }));

describe("window store", () => {
  // Rounds of partials over 40 series and minutes across an hour boundary, several partials of a
  // bucket in one batch: a store whose cache holds almost nothing must store exactly what a store
  // caching everything stores.
  const batches = Array.from({ length: 6 }, (_, round) =>
    Array.from({ length: 40 }, (_, s) => [
      partial(s, round % 3, round),
      ...(s % 5 === 0 ? [partial(s, round % 3, round + 100)] : []),
    ]).flat(),
  );

  it("bounds its cache by bytes, evicting the oldest, and stores the same rows as an unbounded one", async () => {
    const roomy = await open({});
    const tiny = await open({ maxCachedBytes: 4096 });
    for (const [i, batch] of batches.entries()) {
      const position = { consumerGroup: "g", topic: "t", partition: 0, nextOffset: String(i + 1) };
      await roomy.store.apply(batch, position, t0 + i);
      await tiny.store.apply(batch, position, t0 + i);
      expect(tiny.store.cachedBytes()).toBeLessThanOrEqual(4096);
    }
    expect(roomy.store.cachedEntries()).toBeGreaterThan(100);
    expect(tiny.store.cachedEntries()).toBeGreaterThan(0);
    expect(tiny.store.cachedEntries()).toBeLessThan(20);
    for (const table of ["request_minutes", "request_hours"]) {
      const stored = await rows(tiny.db, table);
      expect(stored.length).toBeGreaterThan(40);
      expect(stored).toEqual(await rows(roomy.db, table));
    }
    expect(await tiny.store.storedOffset("g", "t", 0)).toBe(6n);
  });

  it("stores each bucket as the sum of its partials (counts, thresholds, merged histogram)", async () => {
    const { db, store } = await open({ maxCachedBytes: 4096 });
    for (const [i, batch] of batches.entries())
      await store.apply(
        batch,
        { consumerGroup: "g", topic: "t", partition: 0, nextOffset: String(i + 1) },
        t0,
      );
    const minutes = await rows(db, "request_minutes");
    for (const row of minutes) {
      const parts = batches
        .flat()
        .filter(
          (p) =>
            p.service === row.service &&
            p.route === row.route &&
            p.bucketStartMs === Number(row.bucket_start_ms),
        );
      expect(Number(row.total)).toBe(parts.reduce((s, p) => s + p.total, 0));
      expect(Number(row.good)).toBe(parts.reduce((s, p) => s + p.good, 0));
      expect(JSON.parse(String(row.good_within))).toEqual({
        100: parts.reduce((s, p) => s + (p.goodWithin[0]?.[1] ?? 0), 0),
      });
      const expected = decodeHistogram(parts[0]?.histogram as string);
      for (const p of parts.slice(1)) mergeInto(expected, decodeHistogram(p.histogram));
      const stored = decodeHistogram(String(row.histogram));
      expect(stored.totalCount).toBe(expected.totalCount);
      expect(stored.maxValue).toBe(expected.maxValue);
      expect(stored.getValueAtPercentile(50)).toBe(expected.getValueAtPercentile(50));
    }
  });
});

describe("pruning", () => {
  const minuteRow = (bucketStartMs: number) => ({
    service: "edge-api",
    route: "/v1/x",
    bucketStartMs,
    total: 10,
    good: 10,
    goodWithin: {},
    histogram: encodeHistogram(newLatencyHistogram()),
    updatedAtMs: bucketStartMs,
  });
  const starts = async (db: Awaited<ReturnType<typeof open>>["db"]) =>
    (await rows(db, "request_minutes")).map((r) =>
      new Date(Number(r.bucket_start_ms)).toISOString(),
    );
  const retention = { minuteMs: 72 * 3_600_000, hourMs: 91 * 86_400_000 };

  it("keeps the minute buckets of a month's first partial UTC hour (Asia/Kolkata) until the month ends", async () => {
    const { db, store } = await open({});
    const at = (d: number, h: number, m: number) => Date.UTC(2026, 4, d, h, m);
    // June starts at 18:30 UTC on 31 May in Kolkata (18:15 in Kathmandu).
    await db
      .insert(requestMinutes)
      .values(
        [at(31, 18, 10), at(31, 18, 30), at(31, 18, 59), at(31, 19, 0), at(30, 18, 30)].map(
          minuteRow,
        ),
      );
    await store.prune(Date.UTC(2026, 5, 10, 12), retention);
    expect(await starts(db)).toEqual(["2026-05-31T18:30:00.000Z", "2026-05-31T18:59:00.000Z"]);
    // The month over, nothing of its first hour is needed.
    await store.prune(Date.UTC(2026, 6, 1, 12), retention);
    expect(await starts(db)).toEqual([]);
  });
});
