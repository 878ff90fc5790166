/**
 * Evaluates the SLOs of the services this instance owns: after each committed batch for the services
 * it touched (so burn rates follow the data within a second), and every `refreshMs` for all owned SLOs
 * (time passes without data too). Results are exported as gauges; SLO definitions are re-read from
 * the database every `reloadMs`. Counting and status are core's pure functions over stored buckets.
 */
import type { Database } from "../../core/db/database.ts";
import { type SloRow, sloFromRow, slos } from "../../core/db/schema/index.ts";
import { countWindows } from "../../core/latency/window-queries.ts";
import type { Logger } from "../../core/observability/logger.ts";
import { latencyThresholdMs } from "../../core/slo/definition.ts";
import { computeSloStatus, type SloStatus, sloCountWindows } from "../../core/slo/status.ts";
import type { StreamMetrics } from "../metrics/registry.ts";
import type { Ownership } from "./ownership.ts";

export interface SloEvaluatorOptions {
  db: Database;
  metrics: StreamMetrics;
  logger: Logger;
  ownership: Ownership;
  now: () => number;
  intervalMs: number;
  refreshMs?: number;
  reloadMs?: number;
}

export interface SloEvaluation {
  slo: SloRow;
  status: SloStatus;
  evaluatedAtMs: number;
}

export function createSloEvaluator(options: SloEvaluatorOptions) {
  const { db, metrics, logger, ownership } = options;
  const refreshMs = options.refreshMs ?? 15_000;
  const reloadMs = options.reloadMs ?? 5_000;
  let rows: SloRow[] = [];
  let loadedAtMs = Number.NEGATIVE_INFINITY;
  const dirty = new Set<string>();
  const lastEvaluated = new Map<string, SloEvaluation>();
  const exported = new Map<string, SloRow>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const labels = (row: SloRow) => ({ slo_id: row.id, slo: row.name, service: row.service });

  const clearGauges = (row: SloRow) => {
    const base = labels(row);
    for (const gauge of [metrics.sloBurnRate, metrics.sloEvents]) {
      for (const tier of row.tiers) {
        gauge.remove({ ...base, window: tier.longWindow });
        gauge.remove({ ...base, window: tier.shortWindow });
      }
      gauge.remove({ ...base, window: "budget" });
    }
    metrics.sloBudgetRemaining.remove(base);
    for (const tier of row.tiers)
      metrics.sloTierFiring.remove({ ...base, tier: tier.name, severity: tier.severity });
  };

  const exportStatus = (row: SloRow, status: SloStatus) => {
    const base = labels(row);
    for (const tier of status.tiers) {
      for (const w of [tier.longWindow, tier.shortWindow]) {
        if (w.burnRate === null) metrics.sloBurnRate.remove({ ...base, window: w.window });
        else metrics.sloBurnRate.set({ ...base, window: w.window }, w.burnRate);
        metrics.sloEvents.set({ ...base, window: w.window }, w.total);
      }
      metrics.sloTierFiring.set(
        { ...base, tier: tier.name, severity: tier.severity },
        tier.state === "firing" ? 1 : 0,
      );
    }
    metrics.sloEvents.set({ ...base, window: "budget" }, status.budget.total);
    if (status.budget.remaining === null) metrics.sloBudgetRemaining.remove(base);
    else metrics.sloBudgetRemaining.set(base, status.budget.remaining);
  };

  async function evaluate(row: SloRow, nowMs: number): Promise<SloEvaluation> {
    const slo = sloFromRow(row);
    const counts = await countWindows(
      db,
      { service: slo.service, routes: slo.routes, thresholdMs: latencyThresholdMs(slo) },
      sloCountWindows(slo, nowMs),
    );
    const evaluation = {
      slo: row,
      status: computeSloStatus(slo, nowMs, counts),
      evaluatedAtMs: nowMs,
    };
    lastEvaluated.set(row.id, evaluation);
    return evaluation;
  }

  async function tick() {
    const nowMs = options.now();
    if (nowMs - loadedAtMs >= reloadMs) {
      rows = await db.select().from(slos).all();
      loadedAtMs = nowMs;
      const ids = new Set(rows.map((r) => r.id));
      for (const [id, row] of exported) {
        if (!ids.has(id) || !ownership.owns(row.service)) {
          clearGauges(row);
          exported.delete(id);
          lastEvaluated.delete(id);
        }
      }
    }
    const touched = new Set(dirty);
    dirty.clear();
    for (const row of rows) {
      if (!ownership.owns(row.service)) continue;
      const last = lastEvaluated.get(row.id);
      if (!touched.has(row.service) && last && nowMs - last.evaluatedAtMs < refreshMs) continue;
      const { status } = await evaluate(row, nowMs);
      const previous = exported.get(row.id);
      if (previous && JSON.stringify(previous.tiers) !== JSON.stringify(row.tiers))
        clearGauges(previous);
      exportStatus(row, status);
      exported.set(row.id, row);
    }
  }

  const loop = () => {
    running = tick()
      .catch((err: unknown) => logger.error("SLO evaluation failed", { err }))
      .finally(() => {
        running = undefined;
        if (timer !== undefined) timer = setTimeout(loop, options.intervalMs);
      });
  };

  return {
    markDirty(services: Iterable<string>) {
      for (const s of services) dirty.add(s);
    },
    /** Drops everything exported for services no longer owned (after a rebalance). */
    reconcileOwnership() {
      for (const [id, row] of exported) {
        if (!ownership.owns(row.service)) {
          clearGauges(row);
          exported.delete(id);
          lastEvaluated.delete(id);
        }
      }
    },
    start() {
      timer = setTimeout(loop, 0);
    },
    async stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
    lastEvaluation: (sloId: string) => lastEvaluated.get(sloId),
    /** Latency thresholds of all latency SLOs (for stage 1's exact counters). */
    thresholds: () => [
      ...new Set(
        rows
          .map((r) => (r.sli.kind === "latency" ? r.sli.thresholdMs : undefined))
          .filter((t): t is number => t !== undefined),
      ),
    ],
  };
}

export type SloEvaluator = ReturnType<typeof createSloEvaluator>;
