import type { SubscriberTokenRow } from "../../../core/db/schema/index.ts";
import { iso, isoOrNull } from "../shared/rows.ts";

/** A token, masked, with how many push subscriptions it has registered now. */
export const presentSubscriberToken = (row: SubscriberTokenRow, subscriptions: number) => ({
  id: row.id,
  name: row.name,
  start: `${row.tokenStart}…`,
  filters: row.filters,
  maxSubscriptions: row.maxSubscriptions,
  subscriptions,
  createdBy: row.createdBy,
  createdAt: iso(row.createdAtMs),
  expiresAt: iso(row.expiresAtMs),
  revokedAt: isoOrNull(row.revokedAtMs),
  lastUsedAt: isoOrNull(row.lastUsedAtMs),
});
