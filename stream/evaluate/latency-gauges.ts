/**
 * Latency quantile gauges (p50, p90, p95, p99, p99.9, max over 1m, 5m, 1h, 1d) per owned service and
 * for its busiest routes (at most `topRoutes` per service, so cardinality stays bounded however many
 * routes exist; every route stays queryable through GET /v1/latency). Recomputed every `intervalMs`
 * from the stored histograms; windows are the buckets from `floor(now) - window` to now.
 */
import { and, desc, eq, gte, sql } from "drizzle-orm";
import type { Database } from "../../core/db/database.ts";
import { requestMinutes } from "../../core/db/schema/index.ts";
import { quantileLevels } from "../../core/latency/histogram.ts";
import { latencyBetween } from "../../core/latency/window-queries.ts";
import type { Logger } from "../../core/observability/logger.ts";
import type { StreamMetrics } from "../metrics/registry.ts";
import type { Ownership } from "./ownership.ts";

const windows = [
  ["1m", 60_000],
  ["5m", 300_000],
  ["1h", 3_600_000],
  ["1d", 86_400_000],
] as const;

export function createLatencyGauges(options: {
  db: Database;
  metrics: StreamMetrics;
  logger: Logger;
  ownership: Ownership;
  now: () => number;
  intervalMs: number;
  topRoutes: number;
}) {
  const { db, metrics, ownership } = options;
  let exported = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  async function targets(nowMs: number): Promise<{ service: string; route: string | undefined }[]> {
    const recent = nowMs - 86_400_000;
    const services = await db
      .selectDistinct({ service: requestMinutes.service })
      .from(requestMinutes)
      .where(gte(requestMinutes.bucketStartMs, recent));
    const out: { service: string; route: string | undefined }[] = [];
    for (const { service } of services) {
      if (!ownership.owns(service)) continue;
      out.push({ service, route: undefined });
      const routes = await db
        .select({ route: requestMinutes.route, events: sql<number>`sum(${requestMinutes.total})` })
        .from(requestMinutes)
        .where(
          and(
            eq(requestMinutes.service, service),
            gte(requestMinutes.bucketStartMs, nowMs - 3_600_000),
          ),
        )
        .groupBy(requestMinutes.route)
        .orderBy(desc(sql`sum(${requestMinutes.total})`))
        .limit(options.topRoutes);
      for (const r of routes) out.push({ service, route: r.route });
    }
    return out;
  }

  async function refresh() {
    const nowMs = options.now();
    const floorMinute = nowMs - (nowMs % 60_000);
    const next = new Set<string>();
    for (const target of await targets(nowMs)) {
      const route = target.route ?? "*";
      for (const [window, lengthMs] of windows) {
        const report = await latencyBetween(db, {
          service: target.service,
          route: target.route,
          fromMs: floorMinute - lengthMs,
          toMs: nowMs + 1,
        });
        metrics.latencyEvents.set({ service: target.service, route, window }, report.count);
        for (const [quantile] of [...quantileLevels, ["max", 100] as const]) {
          const labels = { service: target.service, route, window, quantile };
          const ms = report[quantile as keyof typeof report] as number | null;
          if (ms === null) metrics.latency.remove(labels);
          else metrics.latency.set(labels, ms / 1000);
          next.add(JSON.stringify(labels));
        }
        // Let batches through between targets: this runs on the same event loop as the stages.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    for (const key of exported) {
      if (!next.has(key)) {
        const labels = JSON.parse(key) as {
          service: string;
          route: string;
          window: string;
          quantile: string;
        };
        metrics.latency.remove(labels);
        metrics.latencyEvents.remove({
          service: labels.service,
          route: labels.route,
          window: labels.window,
        });
      }
    }
    exported = next;
  }

  const loop = () => {
    running = refresh()
      .catch((err: unknown) => options.logger.error("latency gauges failed", { err }))
      .finally(() => {
        running = undefined;
        if (timer !== undefined) timer = setTimeout(loop, options.intervalMs);
      });
  };

  return {
    start() {
      timer = setTimeout(loop, options.intervalMs);
    },
    async stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
    refresh,
  };
}
