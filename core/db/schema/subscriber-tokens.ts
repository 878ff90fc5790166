import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { NotificationFilter } from "../../notify/subscription-filter.ts";
import { tenants } from "./tenants.ts";

/**
 * Subscriber tokens of a tenant: what a person's browser holds to manage its own push subscriptions
 * (within `filters`, the bounds the tenant fixed), send itself a test and acknowledge the alerts it
 * was notified of. Stored as a SHA-256 digest only, like API keys; they always expire.
 */
export const subscriberTokens = sqliteTable(
  "subscriber_tokens",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    tokenHash: text("token_hash").notNull(),
    tokenStart: text("token_start").notNull(),
    /** The widest filters a subscription of this token may choose (empty list or absent: any). */
    filters: text("filters", { mode: "json" }).$type<NotificationFilter>().notNull(),
    maxSubscriptions: integer("max_subscriptions").notNull(),
    /** The API key that created it. */
    createdBy: text("created_by").notNull(),
    createdAtMs: integer("created_at_ms").notNull(),
    expiresAtMs: integer("expires_at_ms").notNull(),
    revokedAtMs: integer("revoked_at_ms"),
    lastUsedAtMs: integer("last_used_at_ms"),
  },
  (t) => [
    uniqueIndex("subscriber_tokens_token_hash_unique").on(t.tokenHash),
    index("subscriber_tokens_tenant_idx").on(t.tenantId, t.createdAtMs, t.id),
  ],
);

export type SubscriberTokenRow = typeof subscriberTokens.$inferSelect;
