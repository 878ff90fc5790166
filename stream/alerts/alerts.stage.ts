/**
 * The `alerts` stage of the stream worker: every `intervalMs`, while this process holds the
 * "alert-evaluator" lease, each tenant with rules, SLOs or leftover alerts is evaluated in its own
 * step (load -> gather inputs -> evaluate -> plan -> one write transaction guarded by the lease).
 * Each step's transitions are written to the transitions outbox in its transaction; after the steps
 * the relay publishes them to `alerts.transitions.v1` (key = fingerprint) exactly once
 * (transitions-relay.ts). A failing tenant is counted, logged and skipped; the others go on. Processes
 * without the lease stand by and take over once it expires. The holder also prunes the alert history
 * past its retention.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { ConfigError } from "../../core/config/env.ts";
import { type Database, libsqlClient } from "../../core/db/database.ts";
import type { AlertTransitionMessage } from "../../core/events/alert-transition.ts";
import type { Logger } from "../../core/observability/logger.ts";
import type { Stage } from "../aggregate/aggregate.consumer.ts";
import { gatherInputs, type InputCache, newInputCache } from "./inputs.ts";
import { acquireLease, LeaseLostError, releaseLease } from "./lease.ts";
import type { AlertErrorKind, AlertMetrics } from "./metrics.ts";
import { computeStep } from "./step.ts";
import {
  hasWork,
  type LoadProblem,
  loadAllTenants,
  loadTenant,
  type TenantSnapshot,
  tenantsToEvaluate,
} from "./tenant.ts";
import type { AlertTracing } from "./trace.ts";
import type { TransitionRelay } from "./transitions-relay.ts";
import { writeStep } from "./writer.ts";

export interface AlertStageOptions {
  db: Database;
  /** Publishes the transitions outbox to `alerts.transitions.v1` (run while holding the lease). */
  relay: TransitionRelay;
  metrics: AlertMetrics;
  logger: Logger;
  now: () => number;
  intervalMs: number;
  leaseMs: number;
  /** Lease holder id; default: host, pid and a random suffix (unique per process start). */
  holder?: string;
  /** Alert history older than this (from its resolution) is deleted; default 30 days. */
  historyRetentionMs?: number;
  /** Spans of firings and their outbox rows (trace export on; stream/alerts/trace.ts). */
  tracing?: AlertTracing;
}

/** The message on `alerts.transitions.v1` (core/events/alert-transition.ts). */
export type TransitionMessage = AlertTransitionMessage;

export interface AlertStage extends Stage {
  /** One tick (exposed for tests); resolves when its steps are written and published. */
  tick(): Promise<void>;
  holdsLease(): boolean;
}

export function createAlertStage(options: AlertStageOptions): AlertStage {
  const { db, metrics, logger, relay } = options;
  if (options.leaseMs < 2 * options.intervalMs) {
    throw new ConfigError("stream worker", [
      `STREAM_ALERT_LEASE_MS: must be at least twice STREAM_ALERT_EVAL_INTERVAL_MS (${options.intervalMs})`,
    ]);
  }
  const client = libsqlClient(db);
  const holder = options.holder ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const historyRetentionMs = options.historyRetentionMs ?? 30 * 86_400_000;
  let prunedAtMs = Number.NEGATIVE_INFINITY;
  const lease = { holder, leaseMs: options.leaseMs };
  let held = false;
  /** When the lease last written by this process expires (renewed by every committed step). */
  let expiresAtMs = 0;
  let started = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const reported = new Set<string>();
  const tenantFailures = new Map<string, { message: string; loggedAtMs: number }>();
  const firingByTenant = new Map<string, Map<string, number>>();

  const fail = (kind: AlertErrorKind, message: string, fields: Record<string, unknown>) => {
    metrics.errors.inc({ kind });
    logger.error(message, fields);
  };

  const reportLoadProblem = (tenantId: string, p: LoadProblem) => {
    const key = JSON.stringify([tenantId, p.kind, p.id, p.version]);
    if (reported.has(key)) return;
    reported.add(key);
    fail(p.kind, `invalid stored ${p.kind.replace("_", " ")}: skipped (its alerts are held)`, {
      tenantId,
      id: p.id,
      err: p.error,
    });
  };

  const setHeld = (value: boolean) => {
    if (held && !value) {
      logger.warn("alert evaluator lease lost: standing by", { holder });
      firingByTenant.clear();
      exportFiring();
      // The next holder publishes (and fences this producer); so does this process if it gets the
      // lease back, after recovering.
      void relay.reset();
    }
    if (!held && value) logger.info("alert evaluator lease taken", { holder });
    held = value;
    metrics.leaseHeld.set(value ? 1 : 0);
  };

  function exportFiring() {
    const totals = new Map<string, number>([
      ["page", 0],
      ["ticket", 0],
      ["info", 0],
    ]);
    for (const counts of firingByTenant.values())
      for (const [severity, n] of counts) totals.set(severity, (totals.get(severity) ?? 0) + n);
    for (const [severity, n] of totals) metrics.firing.set({ severity }, n);
  }

  async function stepTenant(
    tenantId: string,
    nowMs: number,
    cache: InputCache,
    loaded: TenantSnapshot | undefined,
  ) {
    const snapshot = loaded ?? (await loadTenant(db, tenantId, nowMs));
    for (const p of snapshot.problems) reportLoadProblem(tenantId, p);
    const { inputs, problems } = await gatherInputs(db, {
      tenantId,
      nowMs,
      rules: snapshot.rules,
      slos: snapshot.slos,
      cache,
    });
    for (const p of problems)
      fail("input", "alert input could not be read: its rules see no data", {
        tenantId,
        input: p.kind,
        id: p.id,
        err: p.error,
      });
    const step = computeStep(snapshot, inputs, nowMs);
    const spans = await options.tracing?.begin(snapshot, step, nowMs);
    let written: Awaited<ReturnType<typeof writeStep>>;
    try {
      written = await writeStep(client, { snapshot, step, nowMs, lease });
    } catch (error) {
      spans?.end(error);
      throw error;
    }
    spans?.end();
    if (written.statements > 0) expiresAtMs = nowMs + options.leaseMs;
    // Committed: count, remember what fires, queue the transitions for Kafka.
    for (const t of step.transitions) metrics.transitions.inc({ to: t.to });
    if (step.notifications.length > 0) metrics.notificationsPlanned.inc(step.notifications.length);
    for (const row of step.outbox) metrics.outboxRows.inc({ channel: row.channel });
    const counts = new Map<string, number>();
    for (const s of [...step.states, ...step.held]) {
      if (s.status !== "firing") continue;
      const severity = s.labels.severity ?? "info";
      counts.set(severity, (counts.get(severity) ?? 0) + 1);
    }
    firingByTenant.set(tenantId, counts);
  }

  /**
   * Every tenant in one bulk read; undefined when some row cannot be read at all (corrupt JSON):
   * then each tenant is loaded on its own, so only the tenant owning that row fails.
   */
  let bulkFailureLoggedAtMs = Number.NEGATIVE_INFINITY;
  async function loadAll(nowMs: number) {
    try {
      return await loadAllTenants(db, nowMs);
    } catch (err) {
      if (nowMs - bulkFailureLoggedAtMs >= 60_000) {
        bulkFailureLoggedAtMs = nowMs;
        logger.warn("bulk read of the tenants' alert rows failed: reading tenant by tenant", {
          err,
        });
      }
      return undefined;
    }
  }

  let lastPublishError = "";
  async function publishTransitions() {
    try {
      await relay.drain();
      lastPublishError = "";
    } catch (err) {
      metrics.errors.inc({ kind: "produce" });
      // Logged when the error changes (Kafka down would otherwise log at every tick).
      const message = String((err as Error)?.message ?? err);
      if (message !== lastPublishError) {
        lastPublishError = message;
        logger.error("alert transitions not published: retrying at the next tick", { err });
      }
    }
  }

  /** Deletes history resolved longer ago than the retention, a bounded batch at most once a minute. */
  async function pruneHistory(nowMs: number) {
    if (nowMs - prunedAtMs < 60_000) return;
    prunedAtMs = nowMs;
    try {
      await client.execute({
        sql: `DELETE FROM alert_history WHERE id IN (SELECT id FROM alert_history
                WHERE resolved_at_ms IS NOT NULL AND resolved_at_ms < ? LIMIT 5000)`,
        args: [nowMs - historyRetentionMs],
      });
    } catch (err) {
      logger.warn("pruning the alert history failed", { err });
    }
  }

  async function tick() {
    // Renewed when half of it is left (steps that write renew it too): an idle evaluator writes the
    // lease row a few times per lease period, not at every tick. A lost lease is noticed then, or by
    // the next step's commit, which it aborts.
    const nowMs = options.now();
    let holding = held;
    if (!held || nowMs >= expiresAtMs - options.leaseMs / 2) {
      try {
        holding = await acquireLease(client, { ...lease, nowMs });
        if (holding) expiresAtMs = nowMs + options.leaseMs;
      } catch (err) {
        fail("lease", "alert evaluator lease could not be checked", { err });
        holding = false;
      }
    }
    setHeld(holding);
    if (holding) {
      const end = metrics.evaluationDuration.startTimer();
      // One `now` per tick: every tenant sees the same instant, and shared inputs are read once.
      const cache = newInputCache();
      const snapshots = await loadAll(nowMs);
      const tenants = snapshots
        ? [...snapshots.values()]
            .filter(hasWork)
            .map((t) => t.tenantId)
            .sort()
        : await tenantsToEvaluate(db);
      metrics.tenantsEvaluated.set(tenants.length);
      const seen = new Set(tenants);
      for (const id of firingByTenant.keys()) if (!seen.has(id)) firingByTenant.delete(id);
      for (const tenantId of tenants) {
        try {
          await stepTenant(tenantId, nowMs, cache, snapshots?.get(tenantId));
          if (tenantFailures.delete(tenantId))
            logger.info("alert evaluation of a tenant recovered", { tenantId });
        } catch (err) {
          if (err instanceof LeaseLostError) {
            metrics.errors.inc({ kind: "lease" });
            setHeld(false);
            break;
          }
          metrics.errors.inc({ kind: "tenant" });
          // Counted every tick, logged when the error changes or once a minute (a tenant failing
          // at every tick would otherwise flood the log).
          const message = String((err as Error)?.message ?? err);
          const last = tenantFailures.get(tenantId);
          if (!last || last.message !== message || nowMs - last.loggedAtMs >= 60_000) {
            tenantFailures.set(tenantId, { message, loggedAtMs: nowMs });
            logger.error("alert evaluation of a tenant failed: skipped this tick", {
              tenantId,
              err,
            });
          }
        }
      }
      end();
      if (held) {
        exportFiring();
        await publishTransitions();
        await pruneHistory(nowMs);
      }
    }
  }

  const loop = () => {
    running = tick()
      .catch((err: unknown) => fail("tenant", "alert evaluation tick failed", { err }))
      .finally(() => {
        running = undefined;
        if (started) timer = setTimeout(loop, options.intervalMs);
      });
  };

  return {
    name: "alerts",
    tick,
    holdsLease: () => held,
    async start() {
      started = true;
      metrics.leaseHeld.set(0);
      timer = setTimeout(loop, 0);
    },
    async stop() {
      started = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
      await relay.reset();
      if (held) {
        await releaseLease(client, { holder }).catch((err: unknown) =>
          logger.warn("alert evaluator lease not released", { err }),
        );
        setHeld(false);
      }
    },
    isJoined: () => started,
  };
}
