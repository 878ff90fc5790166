import { count, eq, inArray, sql } from "drizzle-orm";
import { pushSubscriptions, subscriberTokens } from "../../../core/db/schema/index.ts";
import type { Target } from "../../conventions/preconditions.ts";
import type { TenantScope } from "../../tenancy/tenant-scope.ts";
import { presentSubscriberToken } from "./present.ts";

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

/**
 * A token as `GET /v1/subscriber-tokens/{id}` answers it, with the number of its subscriptions: what
 * DELETE evaluates preconditions against (the write also holds only while that number is unchanged).
 */
export const subscriberTokenTarget = (
  tenant: TenantScope,
  id: string,
): Target<typeof subscriberTokens> => ({
  table: subscriberTokens,
  id,
  what: "subscriber token",
  represent: async (row) => {
    if (!row) return undefined;
    const counted = tenant.db
      .select({ n: count() })
      .from(pushSubscriptions)
      .where(tenant.where(pushSubscriptions, eq(pushSubscriptions.subscriberTokenId, row.id)));
    const n = (await counted.get())?.n ?? 0;
    return { body: presentSubscriberToken(row, n), unchanged: sql`(${counted}) = ${n}` };
  },
});
