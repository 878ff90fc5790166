import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { and, eq, exists, ne, not, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import { newId } from "../../../core/auth/ids.ts";
import { pushSubscriptions } from "../../../core/db/schema/index.ts";
import { narrowFilter } from "../../../core/notify/subscription-filter.ts";
import type { AppEnv } from "../../context.ts";
import { assertBelowCap, type Cap, enforceCapAfterInsert } from "../../conventions/caps.ts";
import { setLocation } from "../../conventions/location.ts";
import { ApiError } from "../../errors/api-error.ts";
import { invalidFields } from "../../errors/handler.ts";
import { pushEndpoint } from "../../notify/outbound.ts";
import { cancelPending } from "../../notify/outbox.ts";
import { json } from "../../openapi/responses.ts";
import { pushCap } from "../push/create.ts";
import { presentSubscription } from "../push/present.ts";
import { createSubscriptionBody, subscriptionSchema } from "../push/schema.ts";
import { jsonBody, securedErrors } from "../shared/schema.ts";
import { subscriberOperation } from "./schema.ts";
import { lapsed } from "./store.ts";

/** The row holding the endpoint after the upsert, in the replaced row's delete. */
const holder = alias(pushSubscriptions, "holder");

/** The subscriber's registration: the browser's subscription, and the row it replaces, if any. */
export const subscriberSubscriptionBody = createSubscriptionBody
  .extend({
    replaces: z
      .string()
      .regex(/^psub_[0-9A-Za-z]{16}$/, "must be a push subscription id (psub_…)")
      .optional()
      .describe(
        "one of this token's subscriptions that this one replaces (the push service changed the browser's subscription, or the VAPID key changed): it is deleted with the registration, in one transaction, and no cap counts it",
      ),
  })
  .meta({ id: "SubscriberPushSubscriptionInput" });

export const createSubscriptionRoute = createRoute({
  ...subscriberOperation,
  method: "post",
  path: "/subscriptions",
  summary:
    "Register this browser's push subscription (filters within the token's bounds; the same endpoint again: updated, 200; `replaces`: takes that subscription's place)",
  request: { body: jsonBody(subscriberSubscriptionBody) },
  responses: {
    201: json(subscriptionSchema, "Registered"),
    200: json(subscriptionSchema, "Updated"),
    ...securedErrors(400, 409),
  },
});

export const createSubscription: RouteHandler<typeof createSubscriptionRoute, AppEnv> = async (
  c,
) => {
  const body = c.req.valid("json");
  const { tenant, subscriber } = c.var;
  const nowMs = c.var.deps.now();
  const narrowed = narrowFilter(subscriber.filters, body.filters);
  if (!narrowed.ok)
    throw invalidFields(
      narrowed.problems.map((p) => ({
        path: `body.filters.${p.path}`,
        message: p.message,
        code: "not_allowed",
      })),
    );
  const endpoint = pushEndpoint(body.endpoint, c.var.deps.settings);
  const mine = eq(pushSubscriptions.subscriberTokenId, subscriber.tokenId);
  const atEndpoint = eq(pushSubscriptions.endpoint, endpoint);
  // The row `replaces` names, when it is this token's and for another endpoint (the same endpoint is
  // the row the upsert updates).
  const replaced = body.replaces
    ? and(mine, eq(pushSubscriptions.id, body.replaces), ne(pushSubscriptions.endpoint, endpoint))
    : undefined;
  // No cap counts the endpoint itself (registering it again updates the row: 200), rows of expired
  // or revoked tokens, or the row this one replaces.
  const counted = and(not(atEndpoint), not(lapsed(nowMs)), replaced ? not(replaced) : undefined);
  const caps: [Cap, Cap] = [
    {
      max: subscriber.maxSubscriptions,
      within: and(mine, counted),
      refusal: () =>
        new ApiError(
          "conflict",
          `this token may register at most ${subscriber.maxSubscriptions} subscriptions; delete one first`,
        ),
    },
    // The tenant's cap, as `POST /v1/push/subscriptions` applies it.
    pushCap(c.var.deps.settings.PUSH_SUBSCRIPTIONS_MAX, counted),
  ];
  for (const cap of caps) await assertBelowCap(tenant, pushSubscriptions, cap);
  const id = newId("psub");
  const update = { p256dh: body.keys.p256dh, auth: body.keys.auth, filters: narrowed.filter };
  const db = tenant.db;
  const gone = { id: pushSubscriptions.id };
  // One transaction: a row of an expired or revoked token at this endpoint (this tenant's only) makes
  // way; the upsert inserts, or updates only this token's own row (an endpoint registered by the
  // tenant or another live token is not taken over: no row comes back); the replaced row goes only
  // when this token now holds the endpoint.
  const [lapsedRows, [row], replacedRows] = await db.batch([
    db
      .delete(pushSubscriptions)
      .where(tenant.where(pushSubscriptions, and(atEndpoint, lapsed(nowMs))))
      .returning(gone),
    db
      .insert(pushSubscriptions)
      .values({
        id,
        tenantId: tenant.tenantId,
        endpoint,
        ...update,
        createdAtMs: nowMs,
        subscriberTokenId: subscriber.tokenId,
        expiresAtMs: subscriber.expiresAtMs,
      })
      .onConflictDoUpdate({
        target: [pushSubscriptions.tenantId, pushSubscriptions.endpoint],
        set: update,
        setWhere: mine,
      })
      .returning(),
    db
      .delete(pushSubscriptions)
      .where(
        tenant.where(
          pushSubscriptions,
          and(
            replaced ?? sql`0`, // no `replaces`: deletes nothing
            exists(
              db
                .select({ one: sql`1` })
                .from(holder)
                .where(
                  and(
                    eq(holder.tenantId, tenant.tenantId),
                    eq(holder.endpoint, endpoint),
                    eq(holder.subscriberTokenId, subscriber.tokenId),
                  ),
                ),
            ),
          ),
        ),
      )
      .returning(gone),
  ]);
  for (const { id: removed } of [...lapsedRows, ...replacedRows])
    await cancelPending(tenant, "push", removed, "subscription replaced");
  if (!row) throw new ApiError("conflict", "this endpoint is registered by someone else");
  if (row.id !== id) return c.json(presentSubscription(row), 200);
  // Concurrent registrations may have passed the checks above together. Should this one lose, the
  // row it replaced stays deleted: the push service had retired that endpoint.
  await enforceCapAfterInsert(tenant, pushSubscriptions, row.id, ...caps);
  setLocation(c, row.id);
  return c.json(presentSubscription(row), 201);
};
