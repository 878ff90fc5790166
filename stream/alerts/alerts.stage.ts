/**
 * The `alerts` stage of the stream worker: every `intervalMs`, while this process holds the
 * "alert-evaluator" lease, each tenant with rules, SLOs or leftover alerts is evaluated in its own
 * step (load -> gather inputs -> evaluate -> plan -> one write transaction guarded by the lease).
 * After a step commits, its transitions go to `alerts.transitions.v1` (key = fingerprint), at least
 * once: what fails to send is kept and retried at the next tick. A failing tenant is counted, logged
 * and skipped; the others go on. Processes without the lease stand by and take over once it expires.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Producer } from "kafkajs";
import { ConfigError } from "../../core/config/env.ts";
import { type Database, libsqlClient } from "../../core/db/database.ts";
import {
  type AlertTransitionMessage,
  asTransitionMessage,
} from "../../core/events/alert-transition.ts";
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
import { writeStep } from "./writer.ts";

export interface AlertStageOptions {
  db: Database;
  /** A connected producer (the composition root owns its lifecycle). */
  producer: Pick<Producer, "send">;
  /** `alerts.transitions.v1` under the deployment's prefix. */
  transitionsTopic: string;
  metrics: AlertMetrics;
  logger: Logger;
  now: () => number;
  intervalMs: number;
  leaseMs: number;
  /** Lease holder id; default: host, pid and a random suffix (unique per process start). */
  holder?: string;
  /** Transitions kept for a retry when Kafka is unavailable; the oldest are dropped beyond this. */
  maxPendingTransitions?: number;
  /** Spans of firings and their outbox rows (trace export on; stream/alerts/trace.ts). */
  tracing?: AlertTracing;
}

/** The message on `alerts.transitions.v1` (core/events/alert-transition.ts). */
export type TransitionMessage = AlertTransitionMessage;

export interface AlertStage extends Stage {
  /** One tick (exposed for tests); resolves when its steps are written and produced. */
  tick(): Promise<void>;
  holdsLease(): boolean;
}

export function createAlertStage(options: AlertStageOptions): AlertStage {
  const { db, metrics, logger, producer } = options;
  if (options.leaseMs < 2 * options.intervalMs) {
    throw new ConfigError("stream worker", [
      `STREAM_ALERT_LEASE_MS: must be at least twice STREAM_ALERT_EVAL_INTERVAL_MS (${options.intervalMs})`,
    ]);
  }
  const client = libsqlClient(db);
  const holder = options.holder ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const maxPending = options.maxPendingTransitions ?? 100_000;
  const lease = { holder, leaseMs: options.leaseMs };
  let pending: TransitionMessage[] = [];
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
    pending.push(...step.transitions.map((t) => asTransitionMessage(t, tenantId)));
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

  async function produceTransitions() {
    if (pending.length > maxPending) {
      const dropped = pending.length - maxPending;
      pending = pending.slice(dropped);
      fail("produce", "alert transitions dropped: Kafka unavailable for too long", { dropped });
    }
    if (pending.length === 0) return;
    const batch = pending;
    try {
      await producer.send({
        topic: options.transitionsTopic,
        acks: -1,
        messages: batch.map((t) => ({ key: t.fingerprint, value: JSON.stringify(t) })),
      });
      pending = pending.slice(batch.length);
    } catch (err) {
      fail("produce", "alert transitions not produced: retrying at the next tick", {
        count: batch.length,
        err,
      });
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
      if (held) exportFiring();
    }
    // Committed transitions go out even after the lease was lost.
    await produceTransitions();
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
      await produceTransitions();
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
