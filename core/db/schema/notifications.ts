import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { NotificationFilter } from "../../notify/subscription-filter.ts";
import { tenants } from "./tenants.ts";

const tenantId = () =>
  text("tenant_id")
    .notNull()
    .references(() => tenants.id, { onDelete: "cascade" });

export interface WebhookSecret {
  /** `whsec_` + base64 of 32 random bytes. */
  secret: string;
  createdAtMs: number;
  /** Set when rotated out: it keeps signing until then (the grace period). */
  expiresAtMs: number | null;
}

/** Webhook endpoints of a tenant (Standard Webhooks). */
export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    tenantId: tenantId(),
    url: text("url").notNull(),
    description: text("description"),
    /** `gridpulse` (own JSON) or `alertmanager` (Alertmanager webhook v4). */
    format: text("format").notNull(),
    secrets: text("secrets", { mode: "json" }).$type<WebhookSecret[]>().notNull(),
    disabledAtMs: integer("disabled_at_ms"),
    disabledReason: text("disabled_reason"),
    /** Start of the current run of failures; null after a success. */
    failingSinceMs: integer("failing_since_ms"),
    createdAtMs: integer("created_at_ms").notNull(),
    updatedAtMs: integer("updated_at_ms").notNull(),
  },
  (t) => [index("webhook_endpoints_tenant_idx").on(t.tenantId, t.createdAtMs, t.id)],
);

/** Which alerts a subscription wants (core/notify/subscription-filter.ts). */
export type PushFilters = NotificationFilter;

/** Web Push subscriptions of a tenant (RFC 8030/8291), with what they want to hear about. */
export const pushSubscriptions = sqliteTable(
  "push_subscriptions",
  {
    id: text("id").primaryKey(),
    tenantId: tenantId(),
    endpoint: text("endpoint").notNull(),
    p256dh: text("p256dh").notNull(),
    auth: text("auth").notNull(),
    filters: text("filters", { mode: "json" }).$type<PushFilters>().notNull(),
    createdAtMs: integer("created_at_ms").notNull(),
    /** Set when a subscriber token (not an API key) registered it: only that token manages it. */
    subscriberTokenId: text("subscriber_token_id"),
    /** The subscriber token's expiry: no alert is sent to it after that (null: API-key subscription). */
    expiresAtMs: integer("expires_at_ms"),
  },
  (t) => [
    index("push_subscriptions_tenant_idx").on(t.tenantId, t.createdAtMs, t.id),
    uniqueIndex("push_subscriptions_endpoint_idx").on(t.tenantId, t.endpoint),
    index("push_subscriptions_subscriber_idx").on(t.subscriberTokenId, t.createdAtMs, t.id),
  ],
);

/**
 * The notification outbox: one row per (notification, target), written in the transaction of the
 * alert transition that caused it; `idempotencyKey` is the receiver's deduplication key (webhook-id).
 */
export const outbox = sqliteTable(
  "outbox",
  {
    id: text("id").primaryKey(),
    tenantId: tenantId(),
    channel: text("channel").notNull(),
    targetId: text("target_id").notNull(),
    idempotencyKey: text("idempotency_key").notNull(),
    /** What caused it: alert, test, replay. */
    trigger: text("trigger").notNull(),
    payload: text("payload", { mode: "json" }).$type<unknown>().notNull(),
    /** pending, delivered, failed (gave up), cancelled (target gone or disabled). */
    status: text("status").notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAtMs: integer("next_attempt_at_ms").notNull(),
    createdAtMs: integer("created_at_ms").notNull(),
    deliveredAtMs: integer("delivered_at_ms"),
    lastError: text("last_error"),
  },
  (t) => [
    uniqueIndex("outbox_key_idx").on(t.channel, t.targetId, t.idempotencyKey),
    index("outbox_due_idx").on(t.status, t.nextAttemptAtMs),
    // Every tenant-side read of the outbox is one target's messages, newest first.
    index("outbox_target_idx").on(t.tenantId, t.targetId, t.createdAtMs, t.id),
  ],
);

/** Every delivery attempt: status, duration, response excerpt and what triggered it. */
export const deliveryAttempts = sqliteTable(
  "delivery_attempts",
  {
    id: text("id").primaryKey(),
    tenantId: tenantId(),
    outboxId: text("outbox_id").notNull(),
    channel: text("channel").notNull(),
    targetId: text("target_id").notNull(),
    trigger: text("trigger").notNull(),
    attempt: integer("attempt").notNull(),
    statusCode: integer("status_code"),
    outcome: text("outcome").notNull(),
    durationMs: integer("duration_ms").notNull(),
    responseExcerpt: text("response_excerpt"),
    atMs: integer("at_ms").notNull(),
  },
  (t) => [
    index("delivery_attempts_target_idx").on(t.tenantId, t.targetId, t.atMs, t.id),
    index("delivery_attempts_outbox_idx").on(t.outboxId),
  ],
);

/** The VAPID key pair (generated once and kept, unless configured). */
export const vapidKeys = sqliteTable("vapid_keys", {
  id: text("id").primaryKey(),
  publicKey: text("public_key").notNull(),
  privateKey: text("private_key").notNull(),
  createdAtMs: integer("created_at_ms").notNull(),
});

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type PushSubscriptionRow = typeof pushSubscriptions.$inferSelect;
export type OutboxRow = typeof outbox.$inferSelect;
export type DeliveryAttemptRow = typeof deliveryAttempts.$inferSelect;

/**
 * Version counters bumped by database triggers (migration 0009), so caches can check in one read
 * whether anything they hold changed: `notify_targets` goes up with every change of a webhook
 * endpoint's URL, format, secrets or disablement and every deletion of an endpoint or push
 * subscription, whoever makes it (API, dispatcher, SQL by hand).
 */
export const changeStamps = sqliteTable("change_stamps", {
  name: text("name").primaryKey(),
  version: integer("version").notNull(),
});
