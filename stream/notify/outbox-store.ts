/**
 * The dispatcher's database work on the outbox tables, as raw libSQL statements: claim due rows by
 * compare-and-set, and record an attempt's effects (attempt log, outbox row, and the statements its
 * channel adds for the target: health, disablement with its cancellations and owner notices,
 * subscription deletion) in ONE write batch — one transaction that is either wholly stored or not at
 * all. What a channel's targets are is its own business (channels/).
 *
 * Every write is a `client.batch(..., "write")`, never an interactive transaction: a batch runs on one
 * pooled connection without yielding, so concurrent attempts in this process never hold the write lock
 * across an await. (openDatabase gives an embedded file one connection per client, carrying its
 * `busy_timeout` and `synchronous = normal`; a pool of connections without them fsynced every commit,
 * ~3 ms per attempt instead of well under 1 ms, and failed at once on another process's lock.)
 */
import type { Client, InStatement, Row } from "@libsql/client";

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

const num = (v: unknown) => Number(v);

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
      /** The channel's statements for the target (channels/channel.ts, Settlement). */
      targetStatements: InStatement[],
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
        ...targetStatements,
      ];
      return new Promise<boolean>((resolve, reject) => {
        finishing.push({ statements, resolve, reject });
        if (finishing.length === 1) setImmediate(() => void flushFinishing());
      });
    },

    /** Pending rows that already failed at least once, by channel (the retry backlog gauge). */
    async backlog(): Promise<Record<string, number>> {
      const rs = await client.execute(
        "SELECT channel, count(*) AS n FROM outbox WHERE status = 'pending' AND attempts > 0 GROUP BY channel",
      );
      const byChannel: Record<string, number> = {};
      for (const r of rs.rows) byChannel[r.channel as string] = num(r.n);
      return byChannel;
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
