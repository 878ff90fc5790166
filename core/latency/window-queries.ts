/**
 * Reads of stage 2's window state, shared by the stream worker (burn-rate metrics) and the API
 * (`/v1/slos/:id/status`, `/v1/latency`). Runtime-neutral: plain drizzle over any libSQL client.
 * Counts are exact sums of stored buckets; a latency threshold that a bucket did not count exactly
 * (defined after the bucket was written) is read from its histogram and flagged approximate.
 */
import { and, eq, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { requestHours, requestMinutes } from "../db/schema/index.ts";
import { yieldToEventLoop } from "../runtime/yield.ts";
import type { CountWindow, Granularity, WindowCounts } from "../slo/status.ts";
import {
  countAtOrBelow,
  decodeHistogram,
  type LatencyQuantiles,
  latencyQuantiles,
  mergeInto,
  newLatencyHistogram,
} from "./histogram.ts";

/** Minute and hour tables have identical columns; the type of one stands for both. */
const tableFor = (granularity: Granularity) =>
  (granularity === "minute" ? requestMinutes : requestHours) as unknown as typeof requestMinutes;

export interface CountTarget {
  service: string;
  /** Route patterns; empty: all routes of the service. */
  routes: readonly string[];
  /** Latency SLI threshold; unset: availability (status < 500). */
  thresholdMs?: number | undefined;
}

function rangeCondition(
  table: typeof requestMinutes,
  target: CountTarget,
  fromMs: number,
  toMs: number,
): SQL {
  const conditions = [
    eq(table.service, target.service),
    gte(table.bucketStartMs, fromMs),
    lt(table.bucketStartMs, toMs),
  ];
  if (target.routes.length > 0) conditions.push(inArray(table.route, [...target.routes]));
  return and(...conditions) as SQL;
}

export async function countWindow(
  db: Database,
  target: CountTarget,
  window: CountWindow,
): Promise<WindowCounts> {
  const table = tableFor(window.granularity);
  const where = rangeCondition(table, target, window.fromMs, window.toMs);
  if (target.thresholdMs === undefined) {
    const [row] = await db
      .select({
        total: sql<number>`coalesce(sum(${table.total}), 0)`,
        good: sql<number>`coalesce(sum(${table.good}), 0)`,
      })
      .from(table)
      .where(where);
    return { total: Number(row?.total ?? 0), good: Number(row?.good ?? 0) };
  }
  const path = `$."${target.thresholdMs}"`;
  const [row] = await db
    .select({
      total: sql<number>`coalesce(sum(${table.total}), 0)`,
      good: sql<number>`coalesce(sum(json_extract(${table.goodWithin}, ${path})), 0)`,
      missing: sql<number>`coalesce(sum(case when json_extract(${table.goodWithin}, ${path}) is null then 1 else 0 end), 0)`,
    })
    .from(table)
    .where(where);
  let good = Number(row?.good ?? 0);
  const missing = Number(row?.missing ?? 0);
  if (missing > 0) {
    const rows = await db
      .select({ histogram: table.histogram })
      .from(table)
      .where(and(where, sql`json_extract(${table.goodWithin}, ${path}) is null`));
    for (const r of rows) good += countAtOrBelow(decodeHistogram(r.histogram), target.thresholdMs);
  }
  return { total: Number(row?.total ?? 0), good, approximate: missing > 0 };
}

export async function countWindows(
  db: Database,
  target: CountTarget,
  windows: readonly CountWindow[],
): Promise<Map<string, WindowCounts>> {
  const out = new Map<string, WindowCounts>();
  for (const window of windows) out.set(window.key, await countWindow(db, target, window));
  return out;
}

export interface LatencyReport extends LatencyQuantiles {
  service: string;
  route: string | null;
  from: string;
  to: string;
  good: number;
  /** Minute buckets at the edges, whole hours inside. */
  resolution: "minute" | "hour" | "minute+hour";
}

const hourMs = 3_600_000;
const minuteMs = 60_000;

/** A latency query would merge more stored buckets than its budget allows. */
export class LatencyQueryTooLarge extends Error {
  readonly maxBuckets: number;
  constructor(maxBuckets: number) {
    super(`the query covers more than ${maxBuckets} stored buckets`);
    this.name = "LatencyQueryTooLarge";
    this.maxBuckets = maxBuckets;
  }
}

export interface LatencyReadOptions {
  /** Most stored buckets one query may merge (checked before any is read); default: no limit. */
  maxBuckets?: number;
  /** Buckets decoded between two yields to the event loop. */
  pageSize?: number;
}

/**
 * Latency quantiles and counts of a service (or one route) over [fromMs, toMs), by merging the stored
 * histograms: whole hours from hour buckets, the edges from minute buckets (buckets are selected by
 * their start time). Buckets are read and merged in pages (keyset on the time index), yielding to the
 * event loop between pages, so a service with many routes never holds the loop for long; with
 * `maxBuckets`, a query over more buckets is refused up front (LatencyQueryTooLarge) after an
 * index-only count that itself stops at the budget.
 */
export async function latencyBetween(
  db: Database,
  query: { service: string; route?: string | undefined; fromMs: number; toMs: number },
  options: LatencyReadOptions = {},
): Promise<LatencyReport> {
  const pageSize = options.pageSize ?? 200;
  const target: CountTarget = { service: query.service, routes: query.route ? [query.route] : [] };
  const fromMinute = query.fromMs - (query.fromMs % minuteMs);
  const firstHour = Math.ceil(fromMinute / hourMs) * hourMs;
  const lastHour = Math.floor(query.toMs / hourMs) * hourMs;
  type Range = { granularity: Granularity; fromMs: number; toMs: number };
  const ranges = (
    firstHour < lastHour
      ? [
          { granularity: "minute", fromMs: fromMinute, toMs: firstHour } as Range,
          { granularity: "hour", fromMs: firstHour, toMs: lastHour } as Range,
          { granularity: "minute", fromMs: lastHour, toMs: query.toMs } as Range,
        ]
      : [{ granularity: "minute", fromMs: fromMinute, toMs: query.toMs } as Range]
  ).filter((range: Range) => range.toMs > range.fromMs) as Range[];
  if (options.maxBuckets !== undefined) {
    let buckets = 0;
    for (const range of ranges) {
      const table = tableFor(range.granularity);
      const budget = options.maxBuckets - buckets + 1;
      const [row] = await db.select({ n: sql<number>`count(*)` }).from(
        db
          .select({ one: sql`1`.as("one") })
          .from(table)
          .where(rangeCondition(table, target, range.fromMs, range.toMs))
          .limit(budget)
          .as("bounded"),
      );
      buckets += Number(row?.n ?? 0);
      if (buckets > options.maxBuckets) throw new LatencyQueryTooLarge(options.maxBuckets);
    }
  }
  const merged = newLatencyHistogram();
  let good = 0;
  const used = new Set<Granularity>();
  for (const range of ranges) {
    const table = tableFor(range.granularity);
    let after: { start: number; id: number } | undefined;
    for (;;) {
      const rows = await db
        .select({
          id: sql<number>`_rowid_`,
          start: table.bucketStartMs,
          histogram: table.histogram,
          good: table.good,
        })
        .from(table)
        .where(
          and(
            rangeCondition(table, target, range.fromMs, range.toMs),
            after && sql`(${table.bucketStartMs}, _rowid_) > (${after.start}, ${after.id})`,
          ),
        )
        .orderBy(table.bucketStartMs, sql`_rowid_`)
        .limit(pageSize);
      if (rows.length > 0) used.add(range.granularity);
      for (const row of rows) {
        mergeInto(merged, decodeHistogram(row.histogram));
        good += row.good;
      }
      const last = rows.at(-1);
      if (!last || rows.length < pageSize) break;
      after = { start: last.start, id: Number(last.id) };
      await yieldToEventLoop();
    }
  }
  return {
    service: query.service,
    route: query.route ?? null,
    from: new Date(query.fromMs).toISOString(),
    to: new Date(query.toMs).toISOString(),
    good,
    resolution: used.size === 2 ? "minute+hour" : used.has("hour") ? "hour" : "minute",
    ...latencyQuantiles(merged),
  };
}
