/** What the subscriber's operations share: its own subscriptions, and the alerts it was notified of. */
import { and, eq, type SQL, sql } from "drizzle-orm";
import { outbox, pushSubscriptions, subscriberTokens } from "../../../core/db/schema/index.ts";
import type { SubscriberContext } from "../../context.ts";
import type { TenantScope } from "../../tenancy/tenant-scope.ts";
import { notFound } from "../shared/rows.ts";

/** Rows of `pushSubscriptions` that the subscriber token registered (and `where`). */
export const own = (tenant: TenantScope, subscriber: SubscriberContext, where?: SQL) =>
  tenant.where(
    pushSubscriptions,
    and(eq(pushSubscriptions.subscriberTokenId, subscriber.tokenId), where),
  );

/**
 * Rows of `pushSubscriptions` registered by a subscriber token that has expired or was revoked by
 * `nowMs` (a revocation deletes them; one racing the revoke may outlive it). They get no alerts, no
 * cap counts them, and a valid token of the same tenant may register their endpoint in their place.
 * API-key subscriptions never lapse.
 */
export const lapsed = (nowMs: number): SQL =>
  sql`(${pushSubscriptions.subscriberTokenId} is not null and (ifnull(${pushSubscriptions.expiresAtMs} <= ${nowMs}, 0) or not exists (select 1 from ${subscriberTokens} where ${subscriberTokens.id} = ${pushSubscriptions.subscriberTokenId} and ${subscriberTokens.revokedAtMs} is null and ${subscriberTokens.expiresAtMs} > ${nowMs})))`;

export async function ownSubscription(
  tenant: TenantScope,
  subscriber: SubscriberContext,
  id: string,
) {
  const row = await tenant.db
    .select()
    .from(pushSubscriptions)
    .where(own(tenant, subscriber, eq(pushSubscriptions.id, id)))
    .get();
  if (!row) throw notFound("push subscription");
  return row;
}

/**
 * Whether a push message listing alert `alertId` was written for one of the token's subscriptions
 * (the outbox keeps the planned notification: `payload.notification.alerts[].fingerprint`).
 */
export async function wasNotified(
  tenant: TenantScope,
  subscriber: SubscriberContext,
  alertId: string,
) {
  const row = await tenant.db
    .select({ id: outbox.id })
    .from(outbox)
    .innerJoin(pushSubscriptions, eq(pushSubscriptions.id, outbox.targetId))
    .where(
      and(
        tenant.where(outbox, eq(outbox.channel, "push")),
        own(tenant, subscriber),
        sql`json_extract(${outbox.payload}, '$.type') = 'alert'`,
        sql`exists (select 1 from json_each(${outbox.payload}, '$.notification.alerts') a where json_extract(a.value, '$.fingerprint') = ${alertId})`,
      ),
    )
    .limit(1)
    .get();
  return row !== undefined;
}
