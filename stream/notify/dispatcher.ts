/**
 * The notification dispatcher: drains the outbox. It polls due rows in batches, claims each by
 * compare-and-set (outbox-store.ts), and runs at most `concurrency` attempts at once: render from the
 * stored row (render.ts), send through the webhook or push sender (SSRF guard, signing/encryption,
 * keep-alive, deadline), then store the attempt and its consequences in one transaction — outbox row
 * delivered / retried at the next time of the schedule / failed; endpoint health, disablement (pending
 * rows cancelled, owner notified); subscription deletion on 404/410.
 *
 * Delivery is at least once: a crash between sending and storing re-sends the row after the lease with
 * the same `webhook-id`, which receivers deduplicate.
 */
import { randomUUID } from "node:crypto";
import { endpointAfterAttempt } from "../../core/notify/endpoint-health.ts";
import type { OutboxPayload } from "../../core/notify/outbox-payload.ts";
import { type AttemptOutcome, attemptOutcomes } from "../../core/notify/outcome.ts";
import { pushTopicFor } from "../../core/notify/push-message.ts";
import { type NextStep, planNextAttempt, type RetryPolicy } from "../../core/notify/retry.ts";
import type { Logger } from "../../core/observability/logger.ts";
import { withWebhookAttemptSpan } from "./attempt-span.ts";
import {
  type NotifyChannel,
  type NotifyMetrics,
  notifyChannels,
  recordAttempt,
} from "./metrics.ts";
import {
  type AttemptRecord,
  type ClaimedRow,
  disabledNotices,
  type OutboxStore,
  type RowUpdate,
  type TargetUpdate,
} from "./outbox-store.ts";
import type { PushSender } from "./push-sender.ts";
import {
  OutboxPayloadError,
  parseOutboxPayload,
  renderPush,
  renderWebhookBody,
  safeOrigin,
} from "./render.ts";
import type { WebhookSender } from "./webhook-sender.ts";

export interface DispatcherSettings {
  concurrency: number;
  pollIntervalMs: number;
  batchSize: number;
  leaseMs: number;
  disableAfterMs: number;
  pushTtlS: number;
  externalURL: string;
  gaugesIntervalMs: number;
  webhookPolicy: RetryPolicy;
  pushPolicy: RetryPolicy;
}

export interface DispatcherDeps {
  store: OutboxStore;
  webhookSender: WebhookSender;
  pushSender: PushSender;
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

/** What both senders return, as far as the dispatcher needs it. */
interface SentAttempt {
  outcome: AttemptOutcome;
  status?: number;
  durationMs: number;
  attemptedAtMs: number;
  responseExcerpt: string;
  retryAfterMs?: number;
  error?: string;
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
  const { store, metrics, logger, settings } = deps;
  const clock = deps.clock ?? Date.now;
  const targets = createTargetCache(clock);
  const targetsVersion = freshReads(() => store.targetsVersion());
  /** Every attempt starts here: a target changed before this moment is read afresh. */
  const currentTargets = async () => targets.validate(await targetsVersion());
  /** Endpoints this process stored a failure for since its last stored success. */
  const mayBeFailing = new Set<string>();
  const random = deps.random ?? Math.random;
  const inFlight = new Set<Promise<void>>();
  let running = false;
  let started = false;
  let healthy = false;
  let wake: (() => void) | undefined;
  let loopDone: Promise<void> = Promise.resolve();
  let gaugeTimer: ReturnType<typeof setInterval> | undefined;

  // Every series exists from the start (at 0), so dashboards and rate() see a flat line, not a gap.
  for (const channel of notifyChannels) {
    metrics.retryBacklog.set({ channel }, 0);
    metrics.endpointsDisabled.set({ channel }, 0);
    metrics.deliveryLatency.zero({ channel });
    metrics.attemptDuration.zero({ channel });
    for (const outcome of attemptOutcomes) {
      const impossible = channel === "webhook" ? "delete_subscription" : "disable_endpoint";
      if (outcome !== impossible) metrics.deliveries.inc({ channel, outcome }, 0);
    }
  }

  /** Records an attempt that never reached a sender (unparsable payload). */
  function invalidAttempt(channel: NotifyChannel, error: string): SentAttempt {
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

  async function dispatchWebhook(row: ClaimedRow, payload: OutboxPayload | Error): Promise<void> {
    await currentTargets();
    const endpoint = await targets.get(`webhook:${row.targetId}`, () =>
      store.endpoint(row.targetId),
    );
    if (!endpoint || endpoint.tenantId !== row.tenantId) {
      await store.cancel(row, "endpoint deleted");
      return;
    }
    if (endpoint.disabledAtMs !== null) {
      await store.cancel(row, "endpoint disabled");
      return;
    }
    let attempt: SentAttempt | undefined;
    if (payload instanceof Error) {
      attempt = invalidAttempt("webhook", payload.message);
    } else {
      let body: string | undefined;
      try {
        body = renderWebhookBody(payload, endpoint, row.createdAtMs, settings.externalURL);
      } catch (error) {
        attempt = invalidAttempt("webhook", (error as Error).message);
      }
      if (body !== undefined) {
        const message = { id: row.idempotencyKey, body, createdAtMs: row.createdAtMs };
        attempt = await withWebhookAttemptSpan(row, payload, () =>
          deps.webhookSender.send({ url: endpoint.url, secrets: endpoint.secrets }, message),
        );
      }
    }
    // biome-ignore lint/style/noNonNullAssertion: assigned on every path above
    const a = attempt!;
    const nowMs = clock();
    const attemptsMade = row.attempts + 1;
    const step = planNextAttempt({
      outcome: a.outcome,
      attemptsMade,
      ...(a.retryAfterMs !== undefined ? { retryAfterMs: a.retryAfterMs } : {}),
      nowMs,
      policy: settings.webhookPolicy,
      random,
    });
    let health = endpointAfterAttempt(
      endpoint.failingSinceMs !== null ? { failingSinceMs: endpoint.failingSinceMs } : {},
      a.outcome,
      nowMs,
      settings.disableAfterMs,
    );
    if (health.verdict === "disable" && a.outcome !== "disable_endpoint") {
      // Disabling for the failing period rests on failing_since_ms: decide on the stored value, not
      // on a cached one that a success elsewhere may have cleared a moment ago.
      const fresh = await store.endpoint(endpoint.id);
      health = endpointAfterAttempt(
        fresh?.failingSinceMs != null ? { failingSinceMs: fresh.failingSinceMs } : {},
        a.outcome,
        nowMs,
        settings.disableAfterMs,
      );
    }
    let target: TargetUpdate;
    if (health.verdict === "disable") {
      const reason =
        a.outcome === "disable_endpoint"
          ? "the endpoint answered 410 Gone"
          : `only failures since ${new Date(health.health.failingSinceMs ?? nowMs).toISOString()}`;
      const owners = await store.ownerTargets(row.tenantId, endpoint.id);
      target = {
        kind: "endpoint_disable",
        endpointId: endpoint.id,
        failingSinceMs: health.health.failingSinceMs ?? null,
        disabledAtMs: nowMs,
        reason,
        notices: disabledNotices(
          {
            tenantId: row.tenantId,
            endpointId: endpoint.id,
            url: safeOrigin(endpoint.url),
            reason,
            disabledAtMs: nowMs,
          },
          owners,
        ),
      };
    } else if (
      a.outcome === "delivered" &&
      (endpoint.failingSinceMs !== null || mayBeFailing.has(endpoint.id))
    ) {
      target = { kind: "endpoint_healthy", endpointId: endpoint.id };
      mayBeFailing.delete(endpoint.id);
      targets.forget(`webhook:${endpoint.id}`);
    } else if (health.verdict === "failing") {
      // Stores the start of the failing run unless one is stored already.
      target = {
        kind: "endpoint_failing",
        endpointId: endpoint.id,
        failingSinceMs: health.health.failingSinceMs ?? nowMs,
      };
      // The cached row may say healthy for up to a second: remember that a failure was stored, so
      // the next success clears it whatever the cache says.
      if (mayBeFailing.size >= 10_000) mayBeFailing.clear();
      mayBeFailing.add(endpoint.id);
      if (endpoint.failingSinceMs === null) targets.forget(`webhook:${endpoint.id}`);
    } else {
      target = { kind: "none" };
    }
    // A disabled endpoint gets nothing more: the row that disabled it is not retried either.
    const next: NextStep =
      target.kind === "endpoint_disable" && step.action === "retry"
        ? { action: "give_up", reason: "endpoint_gone" }
        : step;
    if (target.kind === "endpoint_disable") targets.forget(`webhook:${endpoint.id}`);
    await finish(row, "webhook", a, next, target, nowMs);
    if (target.kind === "endpoint_disable")
      logger.warn("webhook endpoint disabled", {
        endpointId: endpoint.id,
        tenantId: row.tenantId,
        reason: target.reason,
        notices: target.notices.length,
      });
  }

  async function dispatchPush(row: ClaimedRow, payload: OutboxPayload | Error): Promise<void> {
    const sender = deps.pushSender;
    await currentTargets();
    const sub = await targets.get(`push:${row.targetId}`, () => store.subscription(row.targetId));
    if (!sub || sub.tenantId !== row.tenantId) {
      await store.cancel(row, "subscription gone");
      return;
    }
    let a: SentAttempt | undefined;
    let rendered: ReturnType<typeof renderPush> | undefined;
    try {
      if (payload instanceof Error) throw payload;
      rendered = renderPush(payload, sub.id, row.createdAtMs, settings.externalURL);
    } catch (error) {
      rendered = undefined;
      a = invalidAttempt("push", (error as Error).message);
    }
    if (rendered) {
      a = await sender.send(
        { endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } },
        {
          id: row.idempotencyKey,
          payload: rendered.payload,
          ttlS: settings.pushTtlS,
          urgency: rendered.urgency,
          topic: await pushTopicFor(rendered.topicKey),
          createdAtMs: row.createdAtMs,
        },
      );
    }
    // biome-ignore lint/style/noNonNullAssertion: assigned on both paths above
    const attempt = a!;
    const nowMs = clock();
    const step = planNextAttempt({
      outcome: attempt.outcome,
      attemptsMade: row.attempts + 1,
      ...(attempt.retryAfterMs !== undefined ? { retryAfterMs: attempt.retryAfterMs } : {}),
      nowMs,
      // The push service keeps a message for its TTL: past that a retry would deliver stale news.
      expiresAtMs: row.createdAtMs + settings.pushTtlS * 1000,
      policy: settings.pushPolicy,
      random,
    });
    const target: TargetUpdate =
      attempt.outcome === "delete_subscription"
        ? { kind: "subscription_delete", subscriptionId: sub.id }
        : { kind: "none" };
    if (target.kind === "subscription_delete") targets.forget(`push:${sub.id}`);
    await finish(row, "push", attempt, step, target, nowMs);
  }

  async function finish(
    row: ClaimedRow,
    channel: NotifyChannel,
    a: SentAttempt,
    step: NextStep,
    target: TargetUpdate,
    nowMs: number,
  ) {
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
    const ours = await store.finish(row, record, rowUpdateFor(step, nowMs, errorOf(a)), target);
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
    let payload: OutboxPayload | Error;
    try {
      payload = parseOutboxPayload(row.payload);
    } catch (error) {
      payload = error instanceof OutboxPayloadError ? error : new OutboxPayloadError(String(error));
    }
    if (row.channel === "webhook") await dispatchWebhook(row, payload);
    else if (row.channel === "push") await dispatchPush(row, payload);
    else await store.cancel(row, `unknown channel ${row.channel.slice(0, 40)}`);
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
    const g = await store.gauges();
    for (const channel of notifyChannels)
      metrics.retryBacklog.set({ channel }, g.backlog[channel] ?? 0);
    metrics.endpointsDisabled.set({ channel: "webhook" }, g.endpointsDisabled);
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
