/**
 * The notification dispatcher: drains the outbox. It polls due rows in batches, claims each by
 * compare-and-set (outbox-store.ts), and runs at most `concurrency` attempts at once. Each row goes to
 * the channel registered under its `channel` (channels/registry.ts): the channel loads the target
 * (or has the row cancelled), renders from the stored row, sends (SSRF guard, signing/encryption,
 * keep-alive, deadline) and settles what the attempt means for the target; the dispatcher plans the
 * next attempt with the channel's policy and stores the attempt with all its consequences in one
 * transaction — outbox row delivered / retried at the next time of the schedule / failed, plus the
 * channel's target statements. It names no channel.
 *
 * Delivery is at least once: a crash between sending and storing re-sends the row after the lease with
 * the same `webhook-id`, which receivers deduplicate.
 */
import { randomUUID } from "node:crypto";
import type { OutboxPayload } from "../../core/notify/outbox-payload.ts";
import { type AttemptOutcome, attemptOutcomes } from "../../core/notify/outcome.ts";
import { type NextStep, planNextAttempt } from "../../core/notify/retry.ts";
import type { Logger } from "../../core/observability/logger.ts";
import type { NotifyChannel, SentAttempt } from "./channels/channel.ts";
import { type NotifyMetrics, recordAttempt } from "./metrics.ts";
import type { AttemptRecord, ClaimedRow, OutboxStore, RowUpdate } from "./outbox-store.ts";
import { OutboxPayloadError, parseOutboxPayload } from "./render.ts";

export interface DispatcherSettings {
  concurrency: number;
  pollIntervalMs: number;
  batchSize: number;
  leaseMs: number;
  gaugesIntervalMs: number;
}

export interface DispatcherDeps {
  store: OutboxStore;
  /** The built channels by `outbox.channel` value (channels/channel.ts, createChannels). */
  channels: ReadonlyMap<string, NotifyChannel>;
  metrics: NotifyMetrics;
  logger: Logger;
  settings: DispatcherSettings;
  clock?: () => number;
  random?: () => number;
}
export interface Dispatcher {
  start(): void;
  /** Stops polling and waits for the attempts in flight to be stored. */
  stop(): Promise<void>;
  /** True once the first poll succeeded (readiness). */
  isRunning(): boolean;
  /** One poll-and-dispatch round to completion (tests, benches). Returns the rows handled. */
  drainOnce(): Promise<number>;
  /** Refreshes the backlog and disabled-endpoint gauges from the database. */
  refreshGauges(): Promise<void>;
}

const errorOf = (a: { outcome: string; status?: number | undefined; error?: string | undefined }) =>
  a.error ?? (a.status !== undefined ? `HTTP ${a.status}` : a.outcome);

function rowUpdateFor(step: NextStep, nowMs: number, lastError: string): RowUpdate {
  switch (step.action) {
    case "done":
      return { status: "delivered", atMs: nowMs };
    case "retry":
      return { status: "pending", nextAttemptAtMs: nowMs + step.delayMs, error: lastError };
    case "give_up":
      return { status: "failed", error: `${step.reason}: ${lastError}` };
  }
}

/**
 * Endpoints and subscriptions read in the last second, so a burst to one target costs one read, not
 * one per row. Before every attempt the dispatcher reads the database's change stamp of the targets
 * (a read that starts after the attempt does, shared by the attempts waiting for it) and passes it to
 * `validate`: a newer stamp empties the cache. So a change made anywhere (secret rotation or
 * disablement through the API, by another dispatcher, deletion) is seen by every attempt that starts
 * after the change committed. This process also forgets a target it disables or deletes at once.
 */
export function createTargetCache(clock: () => number, ttlMs = 1000, maxEntries = 10_000) {
  const entries = new Map<string, { value: Promise<unknown>; expiresAtMs: number }>();
  let version = Number.NEGATIVE_INFINITY;
  return {
    /** Empties the cache when `stamp` is newer than the one its entries were read under. */
    validate(stamp: number) {
      if (stamp > version) {
        entries.clear();
        version = stamp;
      }
    },
    get<T>(key: string, load: () => Promise<T>): Promise<T> {
      const now = clock();
      const hit = entries.get(key);
      if (hit && hit.expiresAtMs > now) return hit.value as Promise<T>;
      if (entries.size >= maxEntries) entries.clear();
      const value = load();
      entries.set(key, { value, expiresAtMs: now + ttlMs });
      value.catch(() => entries.delete(key));
      return value;
    },
    forget(key: string) {
      entries.delete(key);
    },
  };
}

/**
 * Shares reads among callers without ever answering a caller with a read that started before its
 * call: a call while a read is running waits for the next one (started when the running one ends).
 */
export function freshReads<T>(read: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  let queued: Promise<T> | undefined;
  const start = () => {
    const p = read();
    running = p;
    const done = () => {
      if (running === p) running = undefined;
    };
    p.then(done, done);
    return p;
  };
  return () => {
    if (!running) return start();
    if (!queued) {
      queued = running
        .then(
          () => undefined,
          () => undefined,
        )
        .then(() => {
          queued = undefined;
          return start();
        });
    }
    return queued;
  };
}

export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const { store, channels, metrics, logger, settings } = deps;
  const clock = deps.clock ?? Date.now;
  const targets = createTargetCache(clock);
  const targetsVersion = freshReads(() => store.targetsVersion());
  /** Every attempt starts here: a target changed before this moment is read afresh. */
  const currentTargets = async () => targets.validate(await targetsVersion());
  const random = deps.random ?? Math.random;
  const inFlight = new Set<Promise<void>>();
  let running = false;
  let started = false;
  let healthy = false;
  let wake: (() => void) | undefined;
  let loopDone: Promise<void> = Promise.resolve();
  let gaugeTimer: ReturnType<typeof setInterval> | undefined;

  // Every series exists from the start (at 0), so dashboards and rate() see a flat line, not a gap.
  for (const [name, channel] of channels) {
    metrics.retryBacklog.set({ channel: name }, 0);
    metrics.endpointsDisabled.set({ channel: name }, 0);
    metrics.deliveryLatency.zero({ channel: name });
    metrics.attemptDuration.zero({ channel: name });
    for (const outcome of attemptOutcomes)
      if (channel.outcomes.includes(outcome)) metrics.deliveries.inc({ channel: name, outcome }, 0);
  }

  /** Records an attempt that never reached a sender (unparsable payload, unrenderable message). */
  function invalidAttempt(channel: string, error: string): SentAttempt {
    const attemptedAtMs = clock();
    const a = {
      outcome: "invalid" as AttemptOutcome,
      durationMs: 0,
      attemptedAtMs,
      responseExcerpt: "",
      error,
    };
    recordAttempt(metrics, channel, a, undefined);
    return a;
  }

  async function dispatch(
    name: string,
    channel: NotifyChannel,
    row: ClaimedRow,
    payload: OutboxPayload | Error,
  ): Promise<void> {
    await currentTargets();
    const key = `${name}:${row.targetId}`;
    const target = await targets.get(key, () => channel.load(row.targetId));
    const refusal = channel.refuse(row, target);
    if (refusal !== undefined || target === undefined) {
      await store.cancel(row, refusal ?? "target gone");
      return;
    }
    let attempt: SentAttempt;
    if (payload instanceof Error) attempt = invalidAttempt(name, payload.message);
    else {
      let message: unknown;
      let rendered = false;
      try {
        message = channel.render(payload, target, row);
        rendered = true;
      } catch (error) {
        attempt = invalidAttempt(name, (error as Error).message);
      }
      if (rendered) attempt = await channel.send(target, message, row, payload);
    }
    // biome-ignore lint/style/noNonNullAssertion: assigned on every path above
    const a = attempt!;
    const nowMs = clock();
    const step = planNextAttempt({
      outcome: a.outcome,
      attemptsMade: row.attempts + 1,
      ...(a.retryAfterMs !== undefined ? { retryAfterMs: a.retryAfterMs } : {}),
      nowMs,
      ...channel.retry(row),
      random,
    });
    const settled = await channel.settle({ row, target, attempt: a, step, nowMs });
    if (settled.forgetTarget) targets.forget(key);
    await finish(row, a, settled.step, settled.statements, nowMs);
    settled.afterStored?.();
  }

  async function finish(
    row: ClaimedRow,
    a: SentAttempt,
    step: NextStep,
    targetStatements: Parameters<OutboxStore["finish"]>[3],
    nowMs: number,
  ) {
    const channel = row.channel;
    const record: AttemptRecord = {
      id: `att_${randomUUID()}`,
      atMs: a.attemptedAtMs,
      attempt: row.attempts + 1,
      status: a.status,
      outcome: a.outcome,
      durationMs: a.durationMs,
      responseExcerpt: a.responseExcerpt,
      error: a.error,
    };
    const ours = await store.finish(
      row,
      record,
      rowUpdateFor(step, nowMs, errorOf(a)),
      targetStatements,
    );
    if (!ours)
      logger.warn("outbox row was taken over before its attempt was stored", {
        outboxId: row.id,
        channel,
      });
    if (a.outcome === "blocked" || a.outcome === "invalid")
      logger.warn("notification not sent", {
        outboxId: row.id,
        channel,
        targetId: row.targetId,
        outcome: a.outcome,
        error: a.error,
      });
    else if (step.action === "give_up")
      logger.info("notification given up", {
        outboxId: row.id,
        channel,
        reason: step.reason,
        attempts: record.attempt,
      });
  }

  async function dispatchRow(row: ClaimedRow): Promise<void> {
    const channel = channels.get(row.channel);
    if (!channel) {
      await store.cancel(row, `unknown channel ${row.channel.slice(0, 40)}`);
      return;
    }
    let payload: OutboxPayload | Error;
    try {
      payload = parseOutboxPayload(row.payload);
    } catch (error) {
      payload = error instanceof OutboxPayloadError ? error : new OutboxPayloadError(String(error));
    }
    await dispatch(row.channel, channel, row, payload);
  }

  // Claimed rows wait here for a free slot: claiming a batch at a time costs one transaction per batch
  // instead of one per row. At most 2 × concurrency rows are held (queued + in flight), all well within
  // their lease; on stop the queued ones are released at once.
  const queue: ClaimedRow[] = [];
  const capacity = 2 * settings.concurrency;
  const refillBelow = Math.max(1, Math.floor(settings.concurrency / 2));
  let moreDue = false;

  function pump() {
    while (inFlight.size < settings.concurrency && queue.length > 0) {
      launch(queue.shift() as ClaimedRow);
    }
  }

  function launch(row: ClaimedRow) {
    const p: Promise<void> = dispatchRow(row)
      .catch((err: unknown) => {
        // A database failure: the claim stays until its lease ends, then the row is tried again.
        logger.error("dispatching an outbox row failed", { outboxId: row.id, err });
      })
      .finally(() => {
        inFlight.delete(p);
        pump();
        // The last claim was full, so more rows are due: claim again once the queue runs low.
        if (moreDue && queue.length < refillBelow) wakeLoop();
      });
    inFlight.add(p);
  }

  /** Claims due rows up to the free capacity and starts as many as there are slots. */
  async function pollOnce(): Promise<{ claimed: number; full: boolean }> {
    const limit = Math.min(settings.batchSize, capacity - inFlight.size - queue.length);
    if (limit <= 0) return { claimed: 0, full: true };
    const rows = await store.claimDue(clock(), limit, settings.leaseMs);
    queue.push(...rows);
    pump();
    healthy = true;
    moreDue = rows.length === limit;
    return { claimed: rows.length, full: moreDue };
  }

  // A wake-up that arrives while the loop is busy is kept, so the next sleep returns at once.
  let wakePending = false;
  const wakeLoop = () => {
    if (wake) wake();
    else wakePending = true;
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (wakePending) {
        wakePending = false;
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
    });

  async function loop() {
    while (running) {
      let again = false;
      try {
        if (queue.length < refillBelow) {
          const r = await pollOnce();
          // A full claim with room left: claim again at once instead of waiting a poll interval.
          again = r.full && r.claimed > 0 && capacity - inFlight.size - queue.length > 0;
        }
      } catch (err) {
        healthy = false;
        logger.error("polling the outbox failed", { err });
      }
      if (!again && running) await sleep(settings.pollIntervalMs);
    }
  }

  async function refreshGauges() {
    const [backlog, disabled] = await Promise.all([
      store.backlog(),
      Promise.all(
        [...channels].map(async ([name, c]) => [name, await c.disabledTargets?.()] as const),
      ),
    ]);
    for (const name of channels.keys())
      metrics.retryBacklog.set({ channel: name }, backlog[name] ?? 0);
    for (const [name, n] of disabled)
      if (n !== undefined) metrics.endpointsDisabled.set({ channel: name }, n);
  }

  return {
    start() {
      if (started) return;
      started = true;
      running = true;
      loopDone = loop();
      void refreshGauges().catch((err: unknown) =>
        logger.warn("refreshing notify gauges failed", { err }),
      );
      gaugeTimer = setInterval(() => {
        refreshGauges().catch((err: unknown) =>
          logger.warn("refreshing notify gauges failed", { err }),
        );
      }, settings.gaugesIntervalMs);
      gaugeTimer.unref();
    },
    async stop() {
      running = false;
      if (gaugeTimer) clearInterval(gaugeTimer);
      wake?.();
      await loopDone;
      const unstarted = queue.splice(0);
      await store
        .release(unstarted, clock())
        .catch((err: unknown) =>
          logger.warn("releasing claimed rows failed; they come back after the lease", { err }),
        );
      await Promise.all([...inFlight]);
    },
    isRunning: () => running && healthy,
    async drainOnce() {
      const { claimed } = await pollOnce();
      while (inFlight.size > 0) await Promise.all([...inFlight]);
      return claimed;
    },
    refreshGauges,
  };
}
