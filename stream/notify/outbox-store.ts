/**
 * The dispatcher's database work on the outbox tables, as raw libSQL statements: claim due rows by
 * compare-and-set, load targets, and record an attempt's effects (attempt log, outbox row, endpoint
 * health, disablement with its cancellations and owner notices, subscription deletion) in ONE write
 * batch — one transaction that is either wholly stored or not at all.
 *
 * Every write is a `client.batch(..., "write")`, never an interactive transaction: a batch runs on one
 * pooled connection without yielding, so concurrent attempts in this process never hold the write lock
 * across an await. (openDatabase gives an embedded file one connection per client, carrying its
 * `busy_timeout` and `synchronous = normal`; a pool of connections without them fsynced every commit,
 * ~3 ms per attempt instead of well under 1 ms, and failed at once on another process's lock.)
 */
import type { Client, InStatement, Row } from "@libsql/client";
import type { OutboxChannel, OutboxPayload } from "../../core/notify/outbox-payload.ts";
import { outboxRowId } from "../../core/notify/outbox-payload.ts";
import type { EndpointSecret } from "../../core/notify/standard-webhooks.ts";

export interface ClaimedRow {
  id: string;
  tenantId: string;
  channel: string;
  targetId: string;
  idempotencyKey: string;
  trigger: string;
  /** As stored (JSON text); parsed by the renderer. */
  payload: unknown;
  attempts: number;
  createdAtMs: number;
  /** The claim: `next_attempt_at_ms` now holds this value until the row is finished or the lease ends. */
  leaseUntilMs: number;
}

export interface EndpointTarget {
  id: string;
  tenantId: string;
  url: string;
  format: string;
  secrets: EndpointSecret[];
  disabledAtMs: number | null;
  failingSinceMs: number | null;
}

export interface SubscriptionTarget {
  id: string;
  tenantId: string;
  endpoint: string;
  p256dh: string;
  auth: string;
}

export interface AttemptRecord {
  id: string;
  atMs: number;
  attempt: number;
  status?: number | undefined;
  outcome: string;
  durationMs: number;
  responseExcerpt: string;
  error?: string | undefined;
}

/** What happens to the outbox row after the attempt. */
export type RowUpdate =
  | { status: "delivered"; atMs: number }
  | { status: "pending"; nextAttemptAtMs: number; error: string }
  | { status: "failed"; error: string };

/** What happens to the target after the attempt. */
export type TargetUpdate =
  | { kind: "none" }
  | { kind: "endpoint_healthy"; endpointId: string }
  | { kind: "endpoint_failing"; endpointId: string; failingSinceMs: number }
  | {
      kind: "endpoint_disable";
      endpointId: string;
      failingSinceMs: number | null;
      disabledAtMs: number;
      reason: string;
      /** Owner notices, inserted only if this very batch disabled the endpoint. */
      notices: NoticeRow[];
    }
  | { kind: "subscription_delete"; subscriptionId: string };

export interface NoticeRow {
  id: string;
  tenantId: string;
  channel: OutboxChannel;
  targetId: string;
  idempotencyKey: string;
  payload: OutboxPayload;
  createdAtMs: number;
}

const num = (v: unknown) => Number(v);
const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/**
 * The stored secrets (`WebhookSecret[]`, `expiresAtMs: null` while current) as the signer takes them
 * (a null expiry, the current secret, becomes absent).
 */
export function parseSecrets(stored: unknown): EndpointSecret[] {
  let list: unknown;
  try {
    list = typeof stored === "string" ? JSON.parse(stored) : stored;
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  return list.flatMap((s: { secret?: unknown; expiresAtMs?: unknown }) =>
    typeof s?.secret === "string"
      ? [
          typeof s.expiresAtMs === "number"
            ? { secret: s.secret, expiresAtMs: s.expiresAtMs }
            : { secret: s.secret },
        ]
      : [],
  );
}

export function createOutboxStore(client: Client) {
  /**
   * Group commit: the attempts that finish within one turn of the event loop are stored in one write
   * transaction (each attempt's statements are self-contained, so merging changes no outcome), which
   * costs one commit instead of one per attempt. If the merged batch fails, each attempt is retried
   * alone so one bad statement cannot fail the others.
   */
  const finishing: {
    statements: InStatement[];
    resolve: (ours: boolean) => void;
    reject: (error: unknown) => void;
  }[] = [];
  async function flushFinishing() {
    const items = finishing.splice(0);
    if (items.length === 0) return;
    try {
      const results = await client.batch(
        items.flatMap((i) => i.statements),
        "write",
      );
      let at = 0;
      for (const item of items) {
        item.resolve(results[at + 1]?.rowsAffected === 1);
        at += item.statements.length;
      }
    } catch {
      for (const item of items) {
        try {
          const results = await client.batch(item.statements, "write");
          item.resolve(results[1]?.rowsAffected === 1);
        } catch (error) {
          item.reject(error);
        }
      }
    }
  }

  return {
    /**
     * Claims up to `limit` due rows (oldest due first): each by compare-and-set on its previous
     * `next_attempt_at_ms`, so of two dispatchers reading the same row only one moves it to
     * `now + lease`; a crashed dispatcher's claims fall due again when the lease ends.
     */
    async claimDue(nowMs: number, limit: number, leaseMs: number): Promise<ClaimedRow[]> {
      const due = await client.execute({
        sql: "SELECT id, next_attempt_at_ms FROM outbox WHERE status = 'pending' AND next_attempt_at_ms <= ? ORDER BY next_attempt_at_ms LIMIT ?",
        args: [nowMs, limit],
      });
      if (due.rows.length === 0) return [];
      const leaseUntilMs = nowMs + leaseMs;
      const results = await client.batch(
        due.rows.map((r) => ({
          sql: "UPDATE outbox SET next_attempt_at_ms = ? WHERE id = ? AND status = 'pending' AND next_attempt_at_ms = ? RETURNING id, tenant_id, channel, target_id, idempotency_key, trigger, payload, attempts, created_at_ms",
          args: [leaseUntilMs, r.id as string, r.next_attempt_at_ms as number],
        })),
        "write",
      );
      const claimed: ClaimedRow[] = [];
      for (const rs of results) {
        const row = rs.rows[0];
        if (row) claimed.push(toClaimed(row, leaseUntilMs));
      }
      return claimed;
    },

    /**
     * The `notify_targets` change stamp, bumped by triggers (migration 0009) with every change of an
     * endpoint's URL, format, secrets or disablement and every deletion of an endpoint or push
     * subscription, in the transaction that makes the change.
     */
    async targetsVersion(): Promise<number> {
      const rs = await client.execute(
        "SELECT version FROM change_stamps WHERE name = 'notify_targets'",
      );
      return num(rs.rows[0]?.version ?? 0);
    },

    async endpoint(id: string): Promise<EndpointTarget | undefined> {
      const rs = await client.execute({
        sql: "SELECT id, tenant_id, url, format, secrets, disabled_at_ms, failing_since_ms FROM webhook_endpoints WHERE id = ?",
        args: [id],
      });
      const r = rs.rows[0];
      if (!r) return undefined;
      return {
        id: r.id as string,
        tenantId: r.tenant_id as string,
        url: r.url as string,
        format: r.format as string,
        secrets: parseSecrets(r.secrets),
        disabledAtMs: numOrNull(r.disabled_at_ms),
        failingSinceMs: numOrNull(r.failing_since_ms),
      };
    },

    async subscription(id: string): Promise<SubscriptionTarget | undefined> {
      const rs = await client.execute({
        sql: "SELECT id, tenant_id, endpoint, p256dh, auth FROM push_subscriptions WHERE id = ?",
        args: [id],
      });
      const r = rs.rows[0];
      if (!r) return undefined;
      return {
        id: r.id as string,
        tenantId: r.tenant_id as string,
        endpoint: r.endpoint as string,
        p256dh: r.p256dh as string,
        auth: r.auth as string,
      };
    },

    /**
     * Who else of the tenant hears of a disabled endpoint: its other enabled endpoints and the
     * subscriptions registered with API keys.
     */
    async ownerTargets(tenantId: string, exceptEndpointId: string) {
      const [endpoints, subscriptions] = await client.batch(
        [
          {
            sql: "SELECT id FROM webhook_endpoints WHERE tenant_id = ? AND id <> ? AND disabled_at_ms IS NULL",
            args: [tenantId, exceptEndpointId],
          },
          // Subscribers (subscriber tokens) hear of alerts only, not of the tenant's endpoints.
          {
            sql: "SELECT id FROM push_subscriptions WHERE tenant_id = ? AND subscriber_token_id IS NULL",
            args: [tenantId],
          },
        ],
        "read",
      );
      return {
        endpointIds: (endpoints?.rows ?? []).map((r) => r.id as string),
        subscriptionIds: (subscriptions?.rows ?? []).map((r) => r.id as string),
      };
    },

    /** Gives claimed rows that were never started back at once (graceful stop). */
    async release(rows: ClaimedRow[], nowMs: number): Promise<void> {
      if (rows.length === 0) return;
      await client.batch(
        rows.map((r) => ({
          sql: "UPDATE outbox SET next_attempt_at_ms = ? WHERE id = ? AND status = 'pending' AND next_attempt_at_ms = ?",
          args: [nowMs, r.id, r.leaseUntilMs],
        })),
        "write",
      );
    },

    /** A row whose target is gone or disabled: nothing is sent, no attempt is made. */
    async cancel(row: ClaimedRow, reason: string): Promise<boolean> {
      const rs = await client.execute({
        sql: "UPDATE outbox SET status = 'cancelled', last_error = ?, next_attempt_at_ms = ? WHERE id = ? AND status = 'pending' AND next_attempt_at_ms = ?",
        args: [reason, row.leaseUntilMs, row.id, row.leaseUntilMs],
      });
      return rs.rowsAffected === 1;
    },

    /**
     * Stores one attempt and everything it causes in one transaction. Returns whether the row was
     * still ours (false: the lease ran out and another dispatcher took it; the attempt is logged anyway,
     * because it did happen). Attempts finishing together share a transaction (group commit, below).
     */
    async finish(
      row: ClaimedRow,
      attempt: AttemptRecord,
      update: RowUpdate,
      target: TargetUpdate,
    ): Promise<boolean> {
      const statements: InStatement[] = [
        {
          sql: "INSERT INTO delivery_attempts (id, tenant_id, outbox_id, channel, target_id, trigger, attempt, status_code, outcome, duration_ms, response_excerpt, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          args: [
            attempt.id,
            row.tenantId,
            row.id,
            row.channel,
            row.targetId,
            row.trigger,
            attempt.attempt,
            attempt.status ?? null,
            attempt.outcome,
            Math.round(attempt.durationMs),
            attemptExcerpt(attempt),
            attempt.atMs,
          ],
        },
        rowUpdateStatement(row, attempt.attempt, update),
        ...targetStatements(row, target),
      ];
      return new Promise<boolean>((resolve, reject) => {
        finishing.push({ statements, resolve, reject });
        if (finishing.length === 1) setImmediate(() => void flushFinishing());
      });
    },

    /** Gauge inputs: pending rows that already failed at least once, by channel; disabled endpoints. */
    async gauges(): Promise<{ backlog: Record<string, number>; endpointsDisabled: number }> {
      const [backlog, disabled] = await client.batch(
        [
          "SELECT channel, count(*) AS n FROM outbox WHERE status = 'pending' AND attempts > 0 GROUP BY channel",
          "SELECT count(*) AS n FROM webhook_endpoints WHERE disabled_at_ms IS NOT NULL",
        ],
        "read",
      );
      const byChannel: Record<string, number> = {};
      for (const r of backlog?.rows ?? []) byChannel[r.channel as string] = num(r.n);
      return { backlog: byChannel, endpointsDisabled: num(disabled?.rows[0]?.n ?? 0) };
    },
  };
}

export type OutboxStore = ReturnType<typeof createOutboxStore>;

function toClaimed(r: Row, leaseUntilMs: number): ClaimedRow {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    channel: r.channel as string,
    targetId: r.target_id as string,
    idempotencyKey: r.idempotency_key as string,
    trigger: r.trigger as string,
    payload: r.payload,
    attempts: num(r.attempts),
    createdAtMs: num(r.created_at_ms),
    leaseUntilMs,
  };
}

/** The response excerpt, or the reason no response arrived (time-out, network error, SSRF refusal). */
const attemptExcerpt = (a: AttemptRecord): string | null =>
  a.responseExcerpt !== "" ? a.responseExcerpt : a.error ? `[${a.error}]` : null;

function rowUpdateStatement(row: ClaimedRow, attempts: number, update: RowUpdate): InStatement {
  // Only while the claim holds: status pending and next_attempt_at_ms still our lease value.
  const where = "WHERE id = ? AND status = 'pending' AND next_attempt_at_ms = ?";
  const claim = [row.id, row.leaseUntilMs];
  switch (update.status) {
    case "delivered":
      return {
        sql: `UPDATE outbox SET status = 'delivered', attempts = ?, delivered_at_ms = ?, last_error = NULL ${where}`,
        args: [attempts, update.atMs, ...claim],
      };
    case "pending":
      return {
        sql: `UPDATE outbox SET attempts = ?, next_attempt_at_ms = ?, last_error = ? ${where}`,
        args: [attempts, update.nextAttemptAtMs, update.error, ...claim],
      };
    case "failed":
      return {
        sql: `UPDATE outbox SET status = 'failed', attempts = ?, last_error = ? ${where}`,
        args: [attempts, update.error, ...claim],
      };
  }
}

function targetStatements(row: ClaimedRow, target: TargetUpdate): InStatement[] {
  switch (target.kind) {
    case "none":
      return [];
    case "endpoint_healthy":
      return [
        {
          sql: "UPDATE webhook_endpoints SET failing_since_ms = NULL WHERE id = ? AND failing_since_ms IS NOT NULL",
          args: [target.endpointId],
        },
      ];
    case "endpoint_failing":
      return [
        {
          sql: "UPDATE webhook_endpoints SET failing_since_ms = ? WHERE id = ? AND failing_since_ms IS NULL",
          args: [target.failingSinceMs, target.endpointId],
        },
      ];
    case "endpoint_disable": {
      // The statements after the first act only if the first disabled the endpoint at our time:
      // a concurrent attempt that disabled it first already cancelled and notified.
      const ours =
        "EXISTS (SELECT 1 FROM webhook_endpoints WHERE id = ? AND disabled_at_ms = ? AND disabled_reason = ?)";
      const oursArgs = [target.endpointId, target.disabledAtMs, target.reason];
      return [
        {
          sql: "UPDATE webhook_endpoints SET disabled_at_ms = ?, disabled_reason = ?, failing_since_ms = coalesce(failing_since_ms, ?), updated_at_ms = ? WHERE id = ? AND disabled_at_ms IS NULL",
          args: [
            target.disabledAtMs,
            target.reason,
            target.failingSinceMs,
            target.disabledAtMs,
            target.endpointId,
          ],
        },
        {
          sql: `UPDATE outbox SET status = 'cancelled', last_error = 'endpoint disabled' WHERE channel = 'webhook' AND target_id = ? AND status = 'pending' AND id <> ? AND ${ours}`,
          args: [target.endpointId, row.id, ...oursArgs],
        },
        ...target.notices.map((n) => ({
          sql: `INSERT INTO outbox (id, tenant_id, channel, target_id, idempotency_key, trigger, payload, status, attempts, next_attempt_at_ms, created_at_ms) SELECT ?, ?, ?, ?, ?, 'endpoint_disabled', ?, 'pending', 0, ?, ? WHERE ${ours} ON CONFLICT DO NOTHING`,
          args: [
            n.id,
            n.tenantId,
            n.channel,
            n.targetId,
            n.idempotencyKey,
            JSON.stringify(n.payload),
            n.createdAtMs,
            n.createdAtMs,
            ...oursArgs,
          ],
        })),
      ];
    }
    case "subscription_delete":
      return [
        { sql: "DELETE FROM push_subscriptions WHERE id = ?", args: [target.subscriptionId] },
        {
          sql: "UPDATE outbox SET status = 'cancelled', last_error = 'subscription gone' WHERE channel = 'push' AND target_id = ? AND status = 'pending' AND id <> ?",
          args: [target.subscriptionId, row.id],
        },
      ];
  }
}

/** Owner notices for a disabled endpoint: one row per other enabled endpoint and per subscription. */
export function disabledNotices(
  args: {
    tenantId: string;
    endpointId: string;
    url: string;
    reason: string;
    disabledAtMs: number;
  },
  targets: { endpointIds: string[]; subscriptionIds: string[] },
): NoticeRow[] {
  const idempotencyKey = `endpoint_disabled:${args.endpointId}:${args.disabledAtMs}`;
  const payload: OutboxPayload = {
    type: "endpoint_disabled",
    endpointId: args.endpointId,
    url: args.url,
    reason: args.reason,
    disabledAtMs: args.disabledAtMs,
  };
  const row = (channel: OutboxChannel, targetId: string): NoticeRow => ({
    id: outboxRowId(channel, targetId, idempotencyKey),
    tenantId: args.tenantId,
    channel,
    targetId,
    idempotencyKey,
    payload,
    createdAtMs: args.disabledAtMs,
  });
  return [
    ...targets.endpointIds.map((id) => row("webhook", id)),
    ...targets.subscriptionIds.map((id) => row("push", id)),
  ];
}
