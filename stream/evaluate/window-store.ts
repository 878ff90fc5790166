/**
 * Stage 2's window state: per (service, route) and minute (and hour), exact counts and an HDR
 * histogram, stored in `request_minutes` / `request_hours`. Partials of a batch are merged on top of
 * the stored state and written, with the consumer offsets, in ONE libSQL transaction (a batch, atomic);
 * the in-memory copy is updated only after that commit succeeds, so it always equals what is stored.
 * The copy is a cache of encoded histograms (a few hundred bytes each; a decoded one takes tens of
 * KB), bounded by entries and by its approximate heap bytes (STREAM_WINDOW_CACHE_MB), least recently
 * written dropped first; what is not cached is read back in bulk. Merges go through stage 2's histogram codec
 * (histogram-codec.ts): one scratch histogram, partials added from their encoded form, the same bytes. The hot path writes plain SQL statements: a batch can
 * touch tens of thousands of buckets, and query-builder objects for each would cost far more memory.
 *
 * Series cap: a service has at most `maxRoutesPerService` routes of its own; partials of any further
 * route are folded into the service's `__other__` route (counts and histograms exact, only the route
 * name is lost) and reported as overflow, as Prometheus refuses samples beyond a limit. A route is
 * admitted by storing its first bucket, in the same transaction, and stays admitted while it has stored
 * hour buckets (it is freed when they age out): the admitted set is read back from `request_hours`, so
 * it survives restarts and moves with the service's partition to whichever process owns it. Admission
 * is first come, first served; when the cap is lowered, the first routes by name keep their series.
 */
import type { InStatement } from "@libsql/client";
import { sql } from "drizzle-orm";
import { type Database, libsqlClient } from "../../core/db/database.ts";
import { requestHours, requestMinutes } from "../../core/db/schema/index.ts";
import {
  overflowRoute,
  type PartialAggregate,
  type ThresholdCounts,
  thresholdCountsFromJson,
  thresholdCountsToJson,
} from "../../core/events/aggregate.ts";
import { monthHeadsOffTheHour } from "../../core/slo/calendar.ts";
import { type OffsetPosition, offsetStatement, readStoredOffset } from "../kafka/stored-offsets.ts";
import { addEncoded, decodeScratch, encodeHistogram } from "./histogram-codec.ts";

const hourMs = 3_600_000;
const tableNames = { minute: "request_minutes", hour: "request_hours" } as const;
type Granularity = keyof typeof tableNames;

interface WindowEntry {
  total: number;
  good: number;
  goodWithin: ThresholdCounts;
  /** V2 compressed base64, as stored. */
  histogram: string;
}

interface Group {
  g: Granularity;
  service: string;
  route: string;
  start: number;
  parts: PartialAggregate[];
}

export interface AppliedPartials {
  /** Services touched. */
  services: Set<string>;
  /** Per service, events folded into `__other__` because the service has no room for their route. */
  overflow: Map<string, number>;
}

export interface WindowStore {
  /** Applies partials and records `offset` atomically. */
  apply(
    partials: readonly PartialAggregate[],
    offset: OffsetPosition,
    nowMs: number,
  ): Promise<AppliedPartials>;
  storedOffset(
    consumerGroup: string,
    topic: string,
    partition: number,
  ): Promise<bigint | undefined>;
  /**
   * Deletes buckets older than the retention (a separate, small transaction), except the minute
   * buckets of the current month's first partial UTC hour in time zones whose months do not start on
   * a whole UTC hour (`monthHeadsOffTheHour`): SLO status counts those until the month ends.
   */
  prune(nowMs: number, retention: { minuteMs: number; hourMs: number }): Promise<void>;
  cachedEntries(): number;
  /** Approximate heap bytes of what is cached. */
  cachedBytes(): number;
  /** Drops what is cached (on a new group generation: another process may have written meanwhile). */
  forget(): void;
}

/**
 * Up to `limit` distinct routes of a service in `request_hours`, in name order, by index seeks on the
 * primary key (service, route, bucket_start_ms): one per route, never a scan of all its buckets.
 */
const routesSql =
  "with recursive r(route) as (" +
  "select (select min(route) from request_hours where service = ?1) " +
  "union all select (select min(route) from request_hours where service = ?1 and route > r.route) " +
  "from r where r.route is not null limit ?2) " +
  "select route from r where route is not null";

const upsertSql = (table: string) =>
  `insert into ${table} (service, route, bucket_start_ms, total, good, good_within, histogram, updated_at_ms) ` +
  "values (?, ?, ?, ?, ?, ?, ?, ?) on conflict (service, route, bucket_start_ms) do update set " +
  "total = excluded.total, good = excluded.good, good_within = excluded.good_within, " +
  "histogram = excluded.histogram, updated_at_ms = excluded.updated_at_ms";

const cacheKey = (g: Granularity, service: string, route: string, start: number) =>
  `${g}\u0000${service}\u0000${route}\u0000${start}`;

/** Approximate heap bytes of a cached entry: key and histogram strings, threshold pairs, objects. */
const entryBytes = (key: string, entry: WindowEntry) =>
  key.length + entry.histogram.length + 48 * entry.goodWithin.length + 160;

/** Merges a bucket's stored state and its new partials (no decoding when there is nothing to merge). */
function merge(before: WindowEntry | undefined, parts: readonly PartialAggregate[]): WindowEntry {
  const first = parts[0] as PartialAggregate;
  if (!before && parts.length === 1) {
    return {
      total: first.total,
      good: first.good,
      goodWithin: first.goodWithin,
      histogram: first.histogram,
    };
  }
  // Decoded into the codec's scratch histogram (no counts array per merge), merged, encoded, dropped.
  const histogram = decodeScratch(before ? before.histogram : first.histogram);
  let total = before?.total ?? 0;
  let good = before?.good ?? 0;
  // A threshold is kept only if every partial of the bucket counted it: one added later (a new latency
  // SLO) would otherwise look exact while missing earlier events. Without it, readers fall back to the
  // histogram and say the figure is approximate.
  const sums = new Map<number, number>(
    (before?.goodWithin ?? first.goodWithin).map(([t]) => [t, 0]),
  );
  for (const source of before
    ? [before.goodWithin, ...parts.map((p) => p.goodWithin)]
    : parts.map((p) => p.goodWithin)) {
    const counted = new Map(source);
    for (const [threshold, sum] of sums) {
      const n = counted.get(threshold);
      if (n === undefined) sums.delete(threshold);
      else sums.set(threshold, sum + n);
    }
  }
  parts.forEach((part, i) => {
    total += part.total;
    good += part.good;
    if (before || i > 0) addEncoded(histogram, part.histogram);
  });
  return {
    total,
    good,
    goodWithin: [...sums].sort((a, b) => a[0] - b[0]),
    histogram: encodeHistogram(histogram),
  };
}

export function createWindowStore(
  db: Database,
  options: {
    maxCachedEntries?: number;
    maxCachedBytes?: number;
    maxRoutesPerService?: number;
  } = {},
): WindowStore {
  const client = libsqlClient(db);
  const maxCached = options.maxCachedEntries ?? 50_000;
  const maxRoutes = options.maxRoutesPerService ?? 1000;
  const maxBytes = options.maxCachedBytes ?? 32 * 2 ** 20;
  const cache = new Map<string, WindowEntry>();
  let cachedBytes = 0;
  const uncache = (key: string) => {
    const entry = cache.get(key);
    if (entry === undefined) return;
    cachedBytes -= entryBytes(key, entry);
    cache.delete(key);
  };
  /** Admitted routes (`__other__` excluded) of the services seen since the last forget or prune. */
  let admitted = new Map<string, Set<string>>();

  /** The admitted routes of `services`, read from the database for those not seen yet. */
  async function loadAdmitted(services: Iterable<string>) {
    const out = new Map<string, Set<string>>();
    for (const service of services) {
      let routes = admitted.get(service);
      if (!routes) {
        const rows = await client.execute({ sql: routesSql, args: [service, maxRoutes + 1] });
        const names = rows.rows.map((row) => String(row.route)).filter((r) => r !== overflowRoute);
        routes = new Set(names.slice(0, maxRoutes));
        admitted.set(service, routes);
      }
      out.set(service, routes);
    }
    return out;
  }

  /** Partials as stored: routes beyond the cap folded into `__other__`; routes admitted now. */
  function capSeries(partials: readonly PartialAggregate[], sets: Map<string, Set<string>>) {
    const overflow = new Map<string, number>();
    const fresh = new Map<string, Set<string>>();
    const capped = partials.map((partial) => {
      if (partial.route === overflowRoute) return partial;
      const known = sets.get(partial.service) as Set<string>;
      if (known.has(partial.route)) return partial;
      let added = fresh.get(partial.service);
      if (added?.has(partial.route)) return partial;
      if (known.size + (added?.size ?? 0) < maxRoutes) {
        if (!added) {
          added = new Set();
          fresh.set(partial.service, added);
        }
        added.add(partial.route);
        return partial;
      }
      overflow.set(partial.service, (overflow.get(partial.service) ?? 0) + partial.total);
      return { ...partial, route: overflowRoute };
    });
    return { capped, overflow, fresh };
  }

  /** Reads the stored state of the groups the cache does not hold, a few hundred keys per query. */
  async function loadMissing(groups: readonly Group[]): Promise<Map<string, WindowEntry>> {
    const loaded = new Map<string, WindowEntry>();
    for (const g of ["minute", "hour"] as const) {
      const missing = groups.filter(
        (group) =>
          group.g === g && !cache.has(cacheKey(g, group.service, group.route, group.start)),
      );
      for (let i = 0; i < missing.length; i += 300) {
        const chunk = missing.slice(i, i + 300);
        const rows = await client.execute({
          sql:
            `select service, route, bucket_start_ms, total, good, good_within, histogram from ${tableNames[g]} ` +
            `where (service, route, bucket_start_ms) in (values ${chunk.map(() => "(?, ?, ?)").join(", ")})`,
          args: chunk.flatMap((group) => [group.service, group.route, group.start]),
        });
        for (const row of rows.rows) {
          loaded.set(
            cacheKey(g, String(row.service), String(row.route), Number(row.bucket_start_ms)),
            {
              total: Number(row.total),
              good: Number(row.good),
              goodWithin: thresholdCountsFromJson(String(row.good_within)),
              histogram: String(row.histogram),
            },
          );
        }
      }
    }
    return loaded;
  }

  return {
    async apply(received, offset, nowMs) {
      const sets = await loadAdmitted(new Set(received.map((p) => p.service)));
      const { capped: partials, overflow, fresh } = capSeries(received, sets);
      const groups = new Map<string, Group>();
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
      const loaded = await loadMissing([...groups.values()]);
      const next = new Map<string, WindowEntry>();
      const statements: InStatement[] = [];
      for (const [key, group] of groups) {
        const entry = merge(cache.get(key) ?? loaded.get(key), group.parts);
        next.set(key, entry);
        statements.push({
          sql: upsertSql(tableNames[group.g]),
          args: [
            group.service,
            group.route,
            group.start,
            entry.total,
            entry.good,
            thresholdCountsToJson(entry.goodWithin),
            entry.histogram,
            nowMs,
          ],
        });
      }
      statements.push(offsetStatement(offset, nowMs));
      await client.batch(statements, "write");
      // (A forget or prune meanwhile dropped these sets; the next read finds the routes stored.)
      for (const [service, routes] of fresh) {
        const known = sets.get(service) as Set<string>;
        for (const route of routes) known.add(route);
      }
      for (const [key, entry] of next) {
        uncache(key);
        cache.set(key, entry);
        cachedBytes += entryBytes(key, entry);
      }
      while (cache.size > maxCached || cachedBytes > maxBytes) {
        const oldest = cache.keys().next().value;
        if (oldest === undefined) break;
        uncache(oldest);
      }
      return { services: new Set(partials.map((p) => p.service)), overflow };
    },

    storedOffset: (consumerGroup, topic, partition) =>
      readStoredOffset(db, consumerGroup, topic, partition),

    async prune(nowMs, retention) {
      // Minute buckets of a current month's first partial UTC hour (time zones such as Asia/Kolkata)
      // stay until the month ends: SLO status counts that hour from them.
      const minuteCutoff = nowMs - retention.minuteMs;
      const heads = monthHeadsOffTheHour(nowMs).filter((h) => h.fromMs < minuteCutoff);
      const kept = (start: number) => heads.some((h) => h.fromMs <= start && start < h.toMs);
      await db.batch([
        db
          .delete(requestMinutes)
          .where(
            sql.join(
              [
                sql`${requestMinutes.bucketStartMs} < ${minuteCutoff}`,
                ...heads.map(
                  (h) =>
                    sql`not (${requestMinutes.bucketStartMs} >= ${h.fromMs} and ${requestMinutes.bucketStartMs} < ${h.toMs})`,
                ),
              ],
              sql` and `,
            ),
          ),
        db
          .delete(requestHours)
          .where(sql`${requestHours.bucketStartMs} < ${nowMs - retention.hourMs}`),
      ]);
      for (const key of [...cache.keys()]) {
        const start = Number(key.slice(key.lastIndexOf("\u0000") + 1));
        const minute = key.startsWith("minute");
        const limit = minute ? minuteCutoff : nowMs - retention.hourMs;
        if (start < limit && !(minute && kept(start))) uncache(key);
      }
      // Routes whose hour buckets aged out are free again.
      admitted = new Map();
    },

    cachedEntries: () => cache.size,

    cachedBytes: () => cachedBytes,

    forget() {
      cache.clear();
      cachedBytes = 0;
      admitted = new Map();
    },
  };
}
