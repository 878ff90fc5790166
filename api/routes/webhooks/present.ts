import type {
  DeliveryAttemptRow,
  OutboxRow,
  WebhookEndpointRow,
} from "../../../core/db/schema/index.ts";
import { iso, isoOrNull } from "../shared/rows.ts";
import type { outboxStatuses, webhookFormats } from "./schema.ts";

/** An endpoint without its secrets (only their times). */
export const presentWebhook = (row: WebhookEndpointRow) => ({
  id: row.id,
  url: row.url,
  format: row.format as (typeof webhookFormats)[number],
  description: row.description,
  enabled: row.disabledAtMs === null,
  disabledAt: isoOrNull(row.disabledAtMs),
  disabledReason: row.disabledReason,
  failingSince: isoOrNull(row.failingSinceMs),
  secrets: row.secrets.map((s) => ({
    createdAt: iso(s.createdAtMs),
    expiresAt: isoOrNull(s.expiresAtMs ?? null),
  })),
  createdAt: iso(row.createdAtMs),
  updatedAt: iso(row.updatedAtMs),
});

export const presentMessage = (row: OutboxRow) => ({
  id: row.id,
  idempotencyKey: row.idempotencyKey,
  trigger: row.trigger,
  status: row.status as (typeof outboxStatuses)[number],
  attempts: row.attempts,
  nextAttemptAt: iso(row.nextAttemptAtMs),
  createdAt: iso(row.createdAtMs),
  deliveredAt: isoOrNull(row.deliveredAtMs),
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
  at: iso(row.atMs),
});
