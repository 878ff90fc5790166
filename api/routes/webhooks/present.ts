import type {
  DeliveryAttemptRow,
  OutboxRow,
  WebhookEndpointRow,
} from "../../../core/db/schema/index.ts";
import type { outboxStatuses, webhookFormats } from "./schema.ts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** An endpoint without its secrets (only their times). */
export const presentWebhook = (row: WebhookEndpointRow) => ({
  id: row.id,
  url: row.url,
  format: row.format as (typeof webhookFormats)[number],
  description: row.description,
  enabled: row.disabledAtMs === null,
  disabledAt: iso(row.disabledAtMs),
  disabledReason: row.disabledReason,
  failingSince: iso(row.failingSinceMs),
  secrets: row.secrets.map((s) => ({
    createdAt: new Date(s.createdAtMs).toISOString(),
    expiresAt: iso(s.expiresAtMs ?? null),
  })),
  createdAt: new Date(row.createdAtMs).toISOString(),
  updatedAt: new Date(row.updatedAtMs).toISOString(),
});

export const presentMessage = (row: OutboxRow) => ({
  id: row.id,
  idempotencyKey: row.idempotencyKey,
  trigger: row.trigger,
  status: row.status as (typeof outboxStatuses)[number],
  attempts: row.attempts,
  nextAttemptAt: new Date(row.nextAttemptAtMs).toISOString(),
  createdAt: new Date(row.createdAtMs).toISOString(),
  deliveredAt: iso(row.deliveredAtMs),
  lastError: row.lastError,
  payload: row.payload,
});

export const presentAttempt = (row: DeliveryAttemptRow) => ({
  id: row.id,
  messageId: row.outboxId,
  attempt: row.attempt,
  trigger: row.trigger,
  statusCode: row.statusCode,
  outcome: row.outcome,
  durationMs: row.durationMs,
  responseExcerpt: row.responseExcerpt,
  at: new Date(row.atMs).toISOString(),
});
