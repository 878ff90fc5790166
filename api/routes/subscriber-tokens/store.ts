import { count, inArray } from "drizzle-orm";
import { pushSubscriptions } from "../../../core/db/schema/index.ts";
import type { TenantScope } from "../../tenancy/tenant-scope.ts";

/** Push subscriptions per token of the tenant (one grouped query). */
export async function subscriptionCounts(tenant: TenantScope, tokenIds: string[]) {
  if (tokenIds.length === 0) return new Map<string, number>();
  const rows = await tenant.db
    .select({ tokenId: pushSubscriptions.subscriberTokenId, n: count() })
    .from(pushSubscriptions)
    .where(tenant.where(pushSubscriptions, inArray(pushSubscriptions.subscriberTokenId, tokenIds)))
    .groupBy(pushSubscriptions.subscriberTokenId)
    .all();
  return new Map(rows.map((r) => [r.tokenId as string, r.n]));
}
