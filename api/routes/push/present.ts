import type { PushSubscriptionRow } from "../../../core/db/schema/index.ts";
import { iso } from "../shared/rows.ts";

/** A subscription without its keys. */
export const presentSubscription = (row: PushSubscriptionRow) => ({
  id: row.id,
  endpoint: row.endpoint,
  filters: row.filters,
  createdAt: iso(row.createdAtMs),
});
