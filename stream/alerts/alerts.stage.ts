/**
 * The `alerts` stage of the stream worker. Tenants are hashed into `shards` shards, spread over the
 * running evaluator processes by one lease per shard (shards.ts); every `intervalMs` each process
 * evaluates the tenants of the shards it holds, each in its own step (load -> gather inputs ->
 * evaluate -> plan -> one write transaction guarded by the shard's lease).
 *
 * Incremental (the default): a tenant's step runs only when it is due: its stored definitions
 * changed (the `alert_input_changes` rows the database triggers write), a service it reads got new
 * request windows, market events arrived, the minute turned (SLO and latency windows move), or a
 * clock of its state machine is due (core/alerts/due.ts). Snapshots are kept in memory between steps
 * and read again after the tenant's rows changed. `incremental: false` evaluates every tenant at
 * every tick (the reference the property test compares with).
 *
 * Each step's transitions are written to the transitions outbox in its transaction; the process
 * holding the "alert-evaluator" lease publishes them to `alerts.transitions.v1` (key = fingerprint)
 * exactly once (transitions-relay.ts) and prunes the alert history past its retention. A failing
 * tenant is counted, logged and retried at the next tick; the others go on.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { InStatement } from "@libsql/client";
import { type EvaluationInputs, minuteAligned, nextDueAtMs } from "../../core/alerts/index.ts";
import { ConfigError } from "../../core/config/env.ts";
import { type Database, libsqlClient } from "../../core/db/database.ts";
import type { AlertTransitionMessage } from "../../core/events/alert-transition.ts";
import type { Logger } from "../../core/observability/logger.ts";
import type { Stage } from "../aggregate/aggregate.consumer.ts";
import {
  carryInputCache,
  gatherInputs,
  type InputCache,
  type InputProblem,
  newInputCache,
  settledInputs,
} from "./inputs.ts";
import { acquireLease, LeaseLostError, releaseLease } from "./lease.ts";
import type { AlertErrorKind, AlertMetrics } from "./metrics.ts";
import {
  balanceShards,
  joinShards,
  releaseShards,
  renewShards,
  shardLeaseName,
  tenantShard,
} from "./shards.ts";
import { computeStep, type StepQuiet } from "./step.ts";
import {
  hasWork,
  type LoadProblem,
  loadAllTenants,
  loadTenant,
  loadTenants,
  type TenantSnapshot,
  tenantsToEvaluate,
} from "./tenant.ts";
import type { AlertTracing } from "./trace.ts";
import type { TransitionRelay } from "./transitions-relay.ts";
import { afterCommit, stepStatements, writeStatements } from "./writer.ts";

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
  /** Shards tenants are hashed into (the same in every process of a deployment); default 64. */
  shards?: number;
  /** Evaluate only due tenants (default true); false: every tenant at every tick. */
  incremental?: boolean;
  /**
   * How far back (by `updated_at_ms`) request windows are compared to find services with new data;
   * must exceed the clock skew between stage 2 writers and this process. Default 5 minutes.
   */
  dataLookbackMs?: number;
}

/** The message on `alerts.transitions.v1` (core/events/alert-transition.ts). */
export type TransitionMessage = AlertTransitionMessage;

export interface AlertStage extends Stage {
  /** One tick (exposed for tests); resolves when its steps are written and published. */
  tick(): Promise<void>;
  /** Whether this process holds the "alert-evaluator" lease (transitions relay, history pruning). */
  holdsLease(): boolean;
  /** Shards this process evaluates. */
  heldShards(): ReadonlySet<number>;
  /** Steps run by the last tick (due tenants; every tenant with work when not incremental). */
  lastTickSteps(): number;
  /** Writes this process's heartbeat (done by `start` one interval before the first tick). */
  join(): Promise<void>;
}

/** A tenant of a held shard, between steps (incremental evaluation). */
interface TenantEntry {
  snapshot: TenantSnapshot | undefined;
  /** Read its rows again before the next step (they changed, or were never read). */
  stale: boolean;
  /** Step at the next tick regardless of inputs. */
  forced: boolean;
  /** Next clock of its state machine, routes or time-dependent inputs (core/alerts/due.ts). */
  dueAtMs: number;
  services: Set<string>;
  market: boolean;
  minuteAligned: boolean;
  lastStepMs: number;
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
  const shardCount = options.shards ?? 64;
  const incremental = options.incremental ?? true;
  const dataLookbackMs = options.dataLookbackMs ?? 300_000;
  /** Statements per write batch when committing several tenants' steps together. */
  const batchStatements = 400;
  let prunedAtMs = Number.NEGATIVE_INFINITY;
  const lease = { holder, leaseMs: options.leaseMs };
  let held = false;
  /** When the lease last written by this process expires. */
  let expiresAtMs = 0;
  /** Shards held, and when their leases (renewed together) expire. */
  let shards = new Set<number>();
  let shardsExpireAtMs = 0;
  let started = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let steps = 0;
  const reported = new Set<string>();
  const tenantFailures = new Map<string, { message: string; loggedAtMs: number }>();
  const firingByTenant = new Map<string, Map<string, number>>();
  const shardOf = new Map<string, number>();
  const shardOfTenant = (tenantId: string) => {
    let s = shardOf.get(tenantId);
    if (s === undefined) {
      s = tenantShard(tenantId, shardCount);
      shardOf.set(tenantId, s);
    }
    return s;
  };

  /**
   * Steps run shard by shard (tenant ids in order within one): a write batch then holds the steps of
   * few shards, so it checks few shard leases.
   */
  const byShard = (ids: readonly string[]): string[] =>
    ids
      .map((id) => ({ id, shard: shardOfTenant(id) }))
      .sort((a, b) => a.shard - b.shard || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((t) => t.id);

  // Incremental evaluation: the tenants of the held shards between steps, and what was last seen of
  // the shared inputs.
  const entries = new Map<string, TenantEntry>();
  /** Shards acquired whose tenants are not yet read. */
  const unloaded = new Set<number>();
  let changeSeq = 0;
  const serviceSignatures = new Map<string, string>();
  let marketSignature = "";
  let lastTickMs = Number.NEGATIVE_INFINITY;
  /** The shared reads of the last incremental tick (inputs.ts `carryInputCache`). */
  let lastCache: InputCache | undefined;

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
      logger.warn("alert transitions relay lease lost: standing by", { holder });
      // The next holder publishes (and fences this producer); so does this process if it gets the
      // lease back, after recovering.
      void relay.reset();
    }
    if (!held && value) logger.info("alert transitions relay lease taken", { holder });
    held = value;
    metrics.leaseHeld.set(value ? 1 : 0);
  };

  /** Forgets the tenants of shards no longer held (their new owner reads them from libSQL). */
  const dropShards = (gone: readonly number[]) => {
    if (gone.length === 0) return;
    const set = new Set(gone);
    for (const s of gone) {
      shards.delete(s);
      unloaded.delete(s);
    }
    for (const id of [...entries.keys()]) if (set.has(shardOfTenant(id))) entries.delete(id);
    for (const id of [...firingByTenant.keys()])
      if (set.has(shardOfTenant(id))) firingByTenant.delete(id);
    metrics.shardsHeld.set(shards.size);
    exportFiring();
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

  /** A computed step waiting for its commit (steps of one tick are committed in batches). */
  interface PreparedStep {
    tenantId: string;
    snapshot: TenantSnapshot;
    step: ReturnType<typeof computeStep>;
    statements: InStatement[];
    spans: Awaited<ReturnType<NonNullable<AlertStageOptions["tracing"]>["begin"]>> | undefined;
    inputProblems: boolean;
    dueAtMs: number;
    onCommitted?: (prepared: PreparedStep) => void;
    onFailed?: (err: unknown) => void;
  }

  async function prepareStep(
    tenantId: string,
    nowMs: number,
    cache: InputCache,
    loaded: TenantSnapshot | undefined,
    quiet: StepQuiet | undefined,
  ): Promise<PreparedStep> {
    const snapshot = loaded ?? (await loadTenant(db, tenantId, nowMs));
    // gatherInputs answers from the tick's cache first, when it already holds every shared read.
    const { inputs, problems } = await gatherInputs(db, {
      tenantId,
      nowMs,
      rules: snapshot.rules,
      slos: snapshot.slos,
      cache,
    });
    const step = computeStep(snapshot, inputs, nowMs, loaded !== undefined ? quiet : undefined);
    // Spans first: they put the traceparent to continue into the outbox rows' payloads, which the
    // statements then store.
    const spans = options.tracing ? await options.tracing.begin(snapshot, step, nowMs) : undefined;
    return finishStep(snapshot, inputs, problems, step, spans, nowMs);
  }

  /**
   * `prepareStep` at once, without an await, for a tenant whose snapshot is kept and whose inputs the
   * tick's cache already holds (no tracing); undefined otherwise.
   */
  function prepareStepNow(
    tenantId: string,
    nowMs: number,
    cache: InputCache,
    loaded: TenantSnapshot | undefined,
    quiet: StepQuiet | undefined,
  ): PreparedStep | undefined {
    if (!loaded || options.tracing) return undefined;
    const inputs = settledInputs(cache, {
      tenantId,
      nowMs,
      rules: loaded.rules,
      slos: loaded.slos,
      cache,
    });
    if (!inputs) return undefined;
    const step = computeStep(loaded, inputs, nowMs, quiet);
    return finishStep(loaded, inputs, [], step, undefined, nowMs);
  }

  function finishStep(
    snapshot: TenantSnapshot,
    inputs: EvaluationInputs,
    problems: readonly InputProblem[],
    step: ReturnType<typeof computeStep>,
    spans: PreparedStep["spans"],
    nowMs: number,
  ): PreparedStep {
    const { tenantId } = snapshot;
    for (const p of snapshot.problems) reportLoadProblem(tenantId, p);
    for (const p of problems)
      fail("input", "alert input could not be read: its rules see no data", {
        tenantId,
        input: p.kind,
        id: p.id,
        err: p.error,
      });
    const { statements } = stepStatements({
      snapshot,
      step,
      nowMs,
      lease: { ...lease, name: shardLeaseName(shardOfTenant(tenantId)) },
    });
    return {
      tenantId,
      snapshot,
      step,
      statements,
      spans,
      inputProblems: problems.length > 0,
      dueAtMs: Math.min(
        snapshot.reloadAtMs,
        nextDueAtMs({
          now: nowMs,
          rules: snapshot.rules,
          states: [...step.states, ...step.held],
          groups: step.groups,
          route: snapshot.route,
          silences: snapshot.silences,
          inputs,
        }),
      ),
    };
  }

  /** After the commit: count, remember what fires (the transitions wait in their outbox). */
  function committed(prepared: PreparedStep) {
    const { step, tenantId } = prepared;
    prepared.spans?.end();
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
    if (tenantFailures.delete(tenantId))
      logger.info("alert evaluation of a tenant recovered", { tenantId });
    prepared.onCommitted?.(prepared);
  }

  /**
   * Commits prepared steps: many tenants' statements in one write batch (each tenant's led by its
   * shard's lease check); if that batch fails, each step on its own, so one failing tenant or lost
   * shard never holds back the others.
   */
  async function commit(batch: PreparedStep[], nowMs: number) {
    const writing = batch.filter((p) => p.statements.length > 0);
    for (const p of batch) if (p.statements.length === 0) committed(p);
    if (writing.length === 0) return;
    if (writing.length > 1) {
      // One lease check per shard: the batch is one transaction, so a shard's check holds for every
      // step of it that follows (each step's statements lead with its shard's check).
      const statements: InStatement[] = [];
      const checked = new Set<number>();
      for (const p of writing) {
        const shard = shardOfTenant(p.tenantId);
        const first = checked.has(shard) ? 1 : 0;
        checked.add(shard);
        for (let i = first; i < p.statements.length; i++)
          statements.push(p.statements[i] as InStatement);
      }
      try {
        await client.batch(statements, "write");
        for (const p of writing) committed(p);
        return;
      } catch {
        // One of them failed: each on its own below.
      }
    }
    for (const p of writing) {
      if (!shards.has(shardOfTenant(p.tenantId))) continue; // its shard was lost meanwhile
      try {
        await writeStatements(client, p.statements, holder);
        committed(p);
      } catch (err) {
        p.spans?.end(err);
        p.onFailed?.(err);
        handleStepError(p.tenantId, err, nowMs);
      }
    }
  }

  /** Prepares the steps of `tenants` and commits them in batches of about `batchStatements`. */
  async function runSteps(
    tenants: readonly string[],
    nowMs: number,
    cache: InputCache,
    snapshotOf: (tenantId: string) => TenantSnapshot | undefined,
    hooks: (tenantId: string) => Pick<PreparedStep, "onCommitted" | "onFailed">,
    /** Tenants whose snapshot is as their last committed step left it, no clock due (step.ts). */
    settled: ReadonlySet<string> = new Set(),
    /** Settled tenants due only because of new market events (step.ts). */
    marketOnly: ReadonlySet<string> = new Set(),
  ) {
    let pending: PreparedStep[] = [];
    let size = 0;
    for (const tenantId of tenants) {
      if (!shards.has(shardOfTenant(tenantId))) continue; // lost during this tick
      steps++;
      try {
        const loaded = snapshotOf(tenantId);
        const quiet = settled.has(tenantId)
          ? marketOnly.has(tenantId)
            ? "market"
            : "settled"
          : undefined;
        const prepared =
          prepareStepNow(tenantId, nowMs, cache, loaded, quiet) ??
          (await prepareStep(tenantId, nowMs, cache, loaded, quiet));
        const { onCommitted, onFailed } = hooks(tenantId);
        if (onCommitted) prepared.onCommitted = onCommitted;
        if (onFailed) prepared.onFailed = onFailed;
        pending.push(prepared);
        size += prepared.statements.length;
      } catch (err) {
        hooks(tenantId).onFailed?.(err);
        handleStepError(tenantId, err, nowMs);
      }
      if (size >= batchStatements) {
        await commit(pending, nowMs);
        pending = [];
        size = 0;
      }
      if (options.now() >= shardsExpireAtMs - options.leaseMs / 2) await renewDuringTick();
    }
    await commit(pending, nowMs);
  }

  /**
   * Every tenant in one bulk read; undefined when some row cannot be read at all (corrupt JSON):
   * then each tenant is loaded on its own, so only the tenant owning that row fails.
   */
  let bulkFailureLoggedAtMs = Number.NEGATIVE_INFINITY;
  async function bulk<T>(nowMs: number, read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await read();
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

  /** Announces this process to the others (its member row) without taking shards yet. */
  async function join() {
    try {
      await joinShards(client, { holder, nowMs: options.now(), leaseMs: options.leaseMs });
    } catch (err) {
      fail("lease", "alert evaluator heartbeat could not be written", { err });
    }
  }

  /** A tick longer than half the lease renews the held shards on the way (else they would expire). */
  async function renewDuringTick() {
    const nowMs = options.now();
    if (nowMs < shardsExpireAtMs - options.leaseMs / 2) return;
    try {
      await renewShards(client, { holder, nowMs, leaseMs: options.leaseMs });
      shardsExpireAtMs = nowMs + options.leaseMs;
    } catch (err) {
      fail("lease", "alert shard leases could not be renewed", { err });
    }
  }

  /** Takes, renews and gives back shards (fair share of the live processes). */
  async function balance(nowMs: number) {
    try {
      const result = await balanceShards(client, {
        holder,
        shards: shardCount,
        held: shards,
        nowMs,
        leaseMs: options.leaseMs,
      });
      shardsExpireAtMs = nowMs + options.leaseMs;
      if (result.lost.length > 0) {
        metrics.errors.inc({ kind: "lease" });
        logger.warn("alert shards lost to another process", { holder, shards: result.lost });
      }
      dropShards([...result.lost, ...result.released]);
      for (const s of result.acquired) unloaded.add(s);
      shards = result.held;
      if (result.acquired.length > 0 || result.released.length > 0)
        logger.info("alert shards rebalanced", {
          holder,
          held: shards.size,
          acquired: result.acquired.length,
          released: result.released.length,
          live: result.live,
        });
      metrics.shardsHeld.set(shards.size);
    } catch (err) {
      fail("lease", "alert shard leases could not be checked", { err });
      // Not renewed: past their expiry another process may hold them; steps would fail anyway.
      if (nowMs >= shardsExpireAtMs) dropShards([...shards]);
    }
  }

  function handleStepError(tenantId: string, err: unknown, nowMs: number) {
    if (err instanceof LeaseLostError) {
      metrics.errors.inc({ kind: "lease" });
      logger.warn("alert shard lease lost at commit: shard dropped", {
        tenantId,
        shard: shardOfTenant(tenantId),
      });
      dropShards([shardOfTenant(tenantId)]);
      return;
    }
    metrics.errors.inc({ kind: "tenant" });
    // Counted every tick, logged when the error changes or once a minute (a tenant failing
    // at every tick would otherwise flood the log).
    const message = String((err as Error)?.message ?? err);
    const last = tenantFailures.get(tenantId);
    if (!last || last.message !== message || nowMs - last.loggedAtMs >= 60_000) {
      tenantFailures.set(tenantId, { message, loggedAtMs: nowMs });
      logger.error("alert evaluation of a tenant failed: skipped this tick", { tenantId, err });
    }
  }

  /** Every tenant of the held shards with work, every tick. */
  async function fullTick(nowMs: number, cache: InputCache) {
    const snapshots = await bulk(nowMs, () => loadAllTenants(db, nowMs));
    const tenants = byShard(
      (snapshots
        ? [...snapshots.values()].filter(hasWork).map((t) => t.tenantId)
        : await tenantsToEvaluate(db)
      ).filter((id) => shards.has(shardOfTenant(id))),
    );
    metrics.tenantsEvaluated.set(tenants.length);
    const seen = new Set(tenants);
    for (const id of firingByTenant.keys()) if (!seen.has(id)) firingByTenant.delete(id);
    await runSteps(
      tenants,
      nowMs,
      cache,
      (id) => snapshots?.get(id),
      () => ({}),
    );
  }

  const newEntry = (): TenantEntry => ({
    snapshot: undefined,
    stale: true,
    forced: true,
    dueAtMs: Number.NEGATIVE_INFINITY,
    services: new Set(),
    market: false,
    minuteAligned: false,
    lastStepMs: Number.NEGATIVE_INFINITY,
  });

  const describe = (entry: TenantEntry, snapshot: TenantSnapshot) => {
    const previous = entry.snapshot;
    entry.snapshot = snapshot;
    entry.stale = false;
    // A committed step keeps the rules and SLOs it was loaded with: what they read is known.
    if (previous && previous.rules === snapshot.rules && previous.slos === snapshot.slos) return;
    const sloService = new Map(snapshot.slos.map((s) => [s.id, s.definition.service]));
    entry.services = new Set(
      snapshot.rules.flatMap((r) =>
        r.kind === "slo_burn"
          ? [sloService.get(r.params.sloId) ?? r.params.service]
          : r.kind === "latency_threshold"
            ? [r.params.service]
            : [],
      ),
    );
    entry.market = snapshot.rules.some(
      (r) => r.kind === "market_price" || r.kind === "market_subsidy",
    );
    entry.minuteAligned = snapshot.rules.some(minuteAligned);
  };

  const readsAny = (services: ReadonlySet<string>, changed: ReadonlySet<string>) => {
    if (changed.size === 0) return false;
    for (const service of services) if (changed.has(service)) return true;
    return false;
  };

  /** Only the tenants that are due, from snapshots kept between steps. */
  async function incrementalTick(nowMs: number) {
    // 1. Edits since the last tick (read before any bulk read: an edit racing with it is seen again).
    const changes = await client.execute({
      sql: "select tenant_id, seq from alert_input_changes where seq > ? order by seq",
      args: [changeSeq],
    });
    for (const row of changes.rows) {
      changeSeq = Math.max(changeSeq, Number(row.seq));
      const id = String(row.tenant_id);
      if (!shards.has(shardOfTenant(id))) continue;
      const entry = entries.get(id) ?? newEntry();
      entry.stale = true;
      entry.forced = true;
      entries.set(id, entry);
    }
    // 2. Tenants of newly acquired shards: every tenant with alert rows, read in bulk.
    if (unloaded.size > 0) {
      const acquired = new Set(unloaded);
      unloaded.clear();
      const snapshots = await bulk(nowMs, () => loadAllTenants(db, nowMs));
      const ids = snapshots
        ? [...snapshots.values()].filter(hasWork).map((t) => t.tenantId)
        : await tenantsToEvaluate(db);
      for (const id of ids) {
        if (!acquired.has(shardOfTenant(id))) continue;
        const entry = newEntry();
        const snapshot = snapshots?.get(id);
        if (snapshot) describe(entry, snapshot);
        entries.set(id, entry);
      }
    }
    // 3. Shared inputs: services with new request windows, new market events, prices coming due.
    const services = await client.execute({
      sql: `select service, max(updated_at_ms) as m, count(*) as c, sum(total) as t
            from request_minutes where updated_at_ms > ? group by service`,
      args: [nowMs - dataLookbackMs],
    });
    const changedServices = new Set<string>();
    const seenServices = new Set<string>();
    for (const row of services.rows) {
      const service = String(row.service);
      const signature = `${row.m}:${row.c}:${row.t}`;
      seenServices.add(service);
      if (serviceSignatures.get(service) !== signature) changedServices.add(service);
      serviceSignatures.set(service, signature);
    }
    for (const service of [...serviceSignatures.keys()]) {
      if (seenServices.has(service)) continue;
      serviceSignatures.delete(service);
      changedServices.add(service);
    }
    const market = await client.execute({
      sql: `select (select max(rowid) from market_events) as last,
              (select count(*) from market_events where kind = 'price' and ts_ms > ? and ts_ms <= ?) as due`,
      args: [lastTickMs === Number.NEGATIVE_INFINITY ? nowMs : lastTickMs, nowMs],
    });
    // Reads of the previous tick over services without new windows still hold within its minute.
    const cache = carryInputCache(lastCache, nowMs, changedServices);
    lastCache = cache;
    const marketRow = market.rows[0];
    const signature = String(marketRow?.last ?? "");
    const marketChanged = signature !== marketSignature || Number(marketRow?.due ?? 0) > 0;
    marketSignature = signature;
    const minute = Math.floor(nowMs / 60_000);

    // 4. Who is due.
    const dueIds: string[] = [];
    // Due only because an input changed: the snapshot is the last commit's and no clock is due.
    const settled = new Set<string>();
    // Of those, due only because of new market events (step.ts `computeStep`).
    const marketOnly = new Set<string>();
    for (const [id, entry] of entries) {
      // Loaded rows that expire by time (a push subscription's token) are read again.
      if (entry.snapshot && entry.snapshot.reloadAtMs <= nowMs) entry.stale = true;
      // Stale alone does not make a tenant due: after its own write, its clocks say when.
      const clock = entry.forced || entry.dueAtMs <= nowMs;
      const windows =
        (entry.minuteAligned && Math.floor(entry.lastStepMs / 60_000) !== minute) ||
        readsAny(entry.services, changedServices);
      const market = entry.market && marketChanged;
      if (!clock && !windows && !market) continue;
      dueIds.push(id);
      if (clock || entry.stale) continue;
      settled.add(id);
      if (!windows) marketOnly.add(id);
    }
    const due = byShard(dueIds);
    const stale = due.filter((id) => entries.get(id)?.stale);
    const reloaded =
      stale.length > 0 ? await bulk(nowMs, () => loadTenants(db, stale, nowMs)) : new Map();
    for (const id of stale) {
      const snapshot = reloaded?.get(id);
      const entry = entries.get(id);
      if (snapshot && entry) describe(entry, snapshot);
    }
    metrics.tenantsEvaluated.set(due.length);
    const stepping: string[] = [];
    for (const tenantId of due) {
      const entry = entries.get(tenantId);
      if (!entry || !shards.has(shardOfTenant(tenantId))) continue; // lost during this tick
      if (entry.snapshot && !entry.stale && !hasWork(entry.snapshot)) {
        // Nothing to evaluate (as the full tick skips it) until its rows change again.
        entries.delete(tenantId);
        firingByTenant.delete(tenantId);
        continue;
      }
      stepping.push(tenantId);
    }
    await runSteps(
      stepping,
      nowMs,
      cache,
      (id) => {
        const entry = entries.get(id);
        return entry && !entry.stale ? entry.snapshot : undefined;
      },
      (id) => ({
        onCommitted: (p) => {
          const entry = entries.get(id);
          if (!entry) return;
          // The snapshot as the commit left it: the next step diffs against what is stored.
          describe(
            entry,
            p.statements.length > 0 ? afterCommit(p.snapshot, p.step, nowMs) : p.snapshot,
          );
          entry.forced = p.inputProblems;
          entry.dueAtMs = p.dueAtMs;
          entry.lastStepMs = nowMs;
        },
        onFailed: () => {
          const entry = entries.get(id);
          if (!entry) return;
          entry.stale = true;
          entry.forced = true;
        },
      }),
      settled,
      marketOnly,
    );
  }

  async function tick() {
    const nowMs = options.now();
    // The singleton duties (publishing transitions, pruning history) follow the "alert-evaluator"
    // lease, renewed when half of it is left.
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
    await balance(nowMs);
    steps = 0;
    if (shards.size > 0) {
      const end = metrics.evaluationDuration.startTimer();
      // One `now` per tick: every tenant sees the same instant, and shared inputs are read once.
      if (incremental) await incrementalTick(nowMs);
      else await fullTick(nowMs, newInputCache());
      end();
      exportFiring();
    }
    lastTickMs = nowMs;
    if (held) {
      await publishTransitions();
      await pruneHistory(nowMs);
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
    heldShards: () => shards,
    lastTickSteps: () => steps,
    join,
    async start() {
      started = true;
      metrics.leaseHeld.set(0);
      metrics.shardsHeld.set(0);
      // Heartbeat first, shards one interval later: processes starting together see each other
      // before they pick their share.
      await join();
      timer = setTimeout(loop, options.intervalMs);
    },
    async stop() {
      started = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
      await relay.reset();
      await releaseShards(client, holder).catch((err: unknown) =>
        logger.warn("alert shard leases not released", { err }),
      );
      dropShards([...shards]);
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
