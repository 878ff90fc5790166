/**
 * The one outbox loader of the stream worker: how a pending notification row is written to `outbox`,
 * by the alert evaluator (its planned notifications, stream/alerts/writer.ts) and by the dispatcher
 * (owner notices of a disabled webhook endpoint). The row id is `outboxRowId(channel, target,
 * idempotency key)` and the insert does nothing on conflict, so a replayed evaluation step or a
 * repeated disablement adds no second row.
 */
import type { InStatement, InValue } from "@libsql/client";
import type {
  OutboxChannel,
  OutboxPayload,
  OutboxTrigger,
} from "../../core/notify/outbox-payload.ts";

export interface OutboxInsert {
  id: string;
  tenantId: string;
  channel: OutboxChannel;
  targetId: string;
  idempotencyKey: string;
  payload: OutboxPayload;
  nextAttemptAtMs: number;
  createdAtMs: number;
}

const columns =
  "id, tenant_id, channel, target_id, idempotency_key, trigger, payload, status, attempts, next_attempt_at_ms, created_at_ms";
const values = "?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?";

/**
 * The insert of one pending row (no attempt made yet). With `onlyIf` (an SQL condition and its
 * arguments) the row is inserted only when the condition holds within the same statement.
 */
export function outboxInsertStatement(
  row: OutboxInsert,
  trigger: OutboxTrigger,
  onlyIf?: { sql: string; args: InValue[] },
): InStatement {
  const args: InValue[] = [
    row.id,
    row.tenantId,
    row.channel,
    row.targetId,
    row.idempotencyKey,
    trigger,
    JSON.stringify(row.payload),
    row.nextAttemptAtMs,
    row.createdAtMs,
  ];
  return onlyIf
    ? {
        sql: `INSERT INTO outbox (${columns}) SELECT ${values} WHERE ${onlyIf.sql} ON CONFLICT DO NOTHING`,
        args: [...args, ...onlyIf.args],
      }
    : {
        sql: `INSERT INTO outbox (${columns}) VALUES (${values}) ON CONFLICT DO NOTHING`,
        args,
      };
}
