/**
 * Stage 2's window state: per (service, route) and minute (and hour), exact counts and an HDR
 * histogram, stored in `request_minutes` / `request_hours`. Partials of a batch are merged in memory on
 * top of the stored state and written, with the consumer offsets, in ONE libSQL transaction
 * (`db.batch`, atomic); the in-memory copy is updated only after that commit succeeds, so it always
 * equals what is stored. It is a bounded cache of encoded histograms (a few hundred bytes each, where a
 * decoded one takes tens of KB): entries evicted or never loaded are read back from the database.
 */
import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../../core/db/database.ts";
import { consumerOffsets, requestHours, requestMinutes } from "../../core/db/schema/index.ts";
import type { PartialAggregate } from "../../core/events/aggregate.ts";
import {
  decodeHistogram,
  encodeHistogram,
  mergeInto,
  newLatencyHistogram,
} from "../../core/latency/histogram.ts";

const hourMs = 3_600_000;

interface WindowEntry {
  total: number;
  good: number;
  goodWithin: Record<string, number>;
  /** V2 compressed base64, as stored. */
  histogram: string;
}

type Table = typeof requestMinutes;
const tables = { minute: requestMinutes, hour: requestHours as unknown as Table } as const;
type Granularity = keyof typeof tables;

export interface OffsetPosition {
  consumerGroup: string;
  topic: string;
  partition: number;
  nextOffset: string;
}

export interface WindowStore {
  /** Applies partials and records `offset` atomically. Returns the services touched. */
  apply(
    partials: readonly PartialAggregate[],
    offset: OffsetPosition,
    nowMs: number,
  ): Promise<Set<string>>;
  storedOffset(
    consumerGroup: string,
    topic: string,
    partition: number,
  ): Promise<bigint | undefined>;
  /** Deletes buckets older than the retention (a separate, small transaction). */
  prune(nowMs: number, retention: { minuteMs: number; hourMs: number }): Promise<void>;
  cachedEntries(): number;
}

export function createWindowStore(
  db: Database,
  options: { maxCachedEntries?: number } = {},
): WindowStore {
  const maxCached = options.maxCachedEntries ?? 50_000;
  const cache = new Map<string, WindowEntry>();
  const cacheKey = (g: Granularity, service: string, route: string, start: number) =>
    `${g}\u0000${service}\u0000${route}\u0000${start}`;

  async function load(
    g: Granularity,
    service: string,
    route: string,
    start: number,
  ): Promise<WindowEntry | undefined> {
    const key = cacheKey(g, service, route, start);
    const cached = cache.get(key);
    if (cached) {
      cache.delete(key); // refresh recency
      cache.set(key, cached);
      return cached;
    }
    const table = tables[g];
    const row = await db
      .select()
      .from(table)
      .where(
        and(eq(table.service, service), eq(table.route, route), eq(table.bucketStartMs, start)),
      )
      .get();
    if (!row) return undefined;
    return {
      total: row.total,
      good: row.good,
      goodWithin: row.goodWithin,
      histogram: row.histogram,
    };
  }

  return {
    async apply(partials, offset, nowMs) {
      // Group the partials by target bucket at both granularities.
      const groups = new Map<
        string,
        { g: Granularity; service: string; route: string; start: number; parts: PartialAggregate[] }
      >();
      for (const partial of partials) {
        for (const g of ["minute", "hour"] as const) {
          const start =
            g === "minute"
              ? partial.bucketStartMs
              : partial.bucketStartMs - (partial.bucketStartMs % hourMs);
          const key = cacheKey(g, partial.service, partial.route, start);
          let group = groups.get(key);
          if (!group) {
            group = { g, service: partial.service, route: partial.route, start, parts: [] };
            groups.set(key, group);
          }
          group.parts.push(partial);
        }
      }
      const next = new Map<string, WindowEntry>();
      const statements = [];
      for (const [key, group] of groups) {
        const before = await load(group.g, group.service, group.route, group.start);
        const entry: WindowEntry = {
          total: before?.total ?? 0,
          good: before?.good ?? 0,
          goodWithin: {},
          histogram: "",
        };
        const histogram = before ? decodeHistogram(before.histogram) : newLatencyHistogram();
        // A threshold is kept only if every partial of the bucket counted it: one added later (a new
        // latency SLO) would otherwise look exact while missing earlier events. Without it, readers fall
        // back to the histogram and say the figure is approximate.
        let thresholds = before ? new Set(Object.keys(before.goodWithin)) : undefined;
        for (const part of group.parts) {
          entry.total += part.total;
          entry.good += part.good;
          const counted = new Set(Object.keys(part.goodWithin));
          thresholds = thresholds
            ? new Set([...thresholds].filter((t) => counted.has(t)))
            : counted;
          mergeInto(histogram, decodeHistogram(part.histogram));
        }
        for (const threshold of thresholds ?? []) {
          let n = before?.goodWithin[threshold] ?? 0;
          for (const part of group.parts) n += part.goodWithin[threshold] as number;
          entry.goodWithin[threshold] = n;
        }
        entry.histogram = encodeHistogram(histogram);
        next.set(key, entry);
        const table = tables[group.g];
        const values = {
          service: group.service,
          route: group.route,
          bucketStartMs: group.start,
          total: entry.total,
          good: entry.good,
          goodWithin: entry.goodWithin,
          histogram: entry.histogram,
          updatedAtMs: nowMs,
        };
        statements.push(
          db
            .insert(table)
            .values(values)
            .onConflictDoUpdate({
              target: [table.service, table.route, table.bucketStartMs],
              set: {
                total: values.total,
                good: values.good,
                goodWithin: values.goodWithin,
                histogram: values.histogram,
                updatedAtMs: nowMs,
              },
            }),
        );
      }
      statements.push(
        db
          .insert(consumerOffsets)
          .values({ ...offset, updatedAtMs: nowMs })
          .onConflictDoUpdate({
            target: [
              consumerOffsets.consumerGroup,
              consumerOffsets.topic,
              consumerOffsets.partition,
            ],
            set: { nextOffset: offset.nextOffset, updatedAtMs: nowMs },
          }),
      );
      await db.batch(statements as unknown as Parameters<typeof db.batch>[0]);
      for (const [key, entry] of next) {
        cache.delete(key);
        cache.set(key, entry);
      }
      while (cache.size > maxCached) {
        const oldest = cache.keys().next().value;
        if (oldest === undefined) break;
        cache.delete(oldest);
      }
      return new Set(partials.map((p) => p.service));
    },

    async storedOffset(consumerGroup, topic, partition) {
      const row = await db
        .select({ nextOffset: consumerOffsets.nextOffset })
        .from(consumerOffsets)
        .where(
          and(
            eq(consumerOffsets.consumerGroup, consumerGroup),
            eq(consumerOffsets.topic, topic),
            eq(consumerOffsets.partition, partition),
          ),
        )
        .get();
      return row ? BigInt(row.nextOffset) : undefined;
    },

    async prune(nowMs, retention) {
      await db.batch([
        db
          .delete(requestMinutes)
          .where(sql`${requestMinutes.bucketStartMs} < ${nowMs - retention.minuteMs}`),
        db
          .delete(requestHours)
          .where(sql`${requestHours.bucketStartMs} < ${nowMs - retention.hourMs}`),
      ]);
      for (const key of [...cache.keys()]) {
        const start = Number(key.slice(key.lastIndexOf("\u0000") + 1));
        const limit = key.startsWith("minute")
          ? nowMs - retention.minuteMs
          : nowMs - retention.hourMs;
        if (start < limit) cache.delete(key);
      }
    },

    cachedEntries: () => cache.size,
  };
}
