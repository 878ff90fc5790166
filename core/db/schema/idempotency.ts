import { blob, index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * One row per tenant and `Idempotency-Key` of a POST: while the request runs, `status` is null and
 * `expiresAtMs` is a short lock (a crashed request frees its key); once answered, the response (status,
 * the headers a client needs, body) is kept until `expiresAtMs` and replayed for the same key.
 * `fingerprint` is SHA-256 hex of method, path, query and body: the same key with another request is
 * refused.
 */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    tenantId: text("tenant_id").notNull(),
    key: text("key").notNull(),
    fingerprint: text("fingerprint").notNull(),
    createdAtMs: integer("created_at_ms").notNull(),
    expiresAtMs: integer("expires_at_ms").notNull(),
    status: integer("status"),
    headers: text("headers", { mode: "json" }).$type<Record<string, string>>(),
    body: blob("body", { mode: "buffer" }),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.key] }),
    index("idempotency_keys_expiry_idx").on(t.tenantId, t.expiresAtMs),
  ],
);

export type IdempotencyKeyRow = typeof idempotencyKeys.$inferSelect;
