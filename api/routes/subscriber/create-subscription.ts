import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { and, eq, sql } from "drizzle-orm";
import { newId } from "../../../core/auth/ids.ts";
import { pushSubscriptions } from "../../../core/db/schema/index.ts";
import { narrowFilter } from "../../../core/notify/subscription-filter.ts";
import type { AppEnv } from "../../context.ts";
import { assertBelowCap, type Cap, enforceCapAfterInsert } from "../../conventions/caps.ts";
import { setLocation } from "../../conventions/location.ts";
import { ApiError } from "../../errors/api-error.ts";
import { invalidFields } from "../../errors/handler.ts";
import { pushEndpoint } from "../../notify/outbound.ts";
import { json } from "../../openapi/responses.ts";
import { presentSubscription } from "../push/present.ts";
import { createSubscriptionBody, subscriptionSchema } from "../push/schema.ts";
import { jsonBody, securedErrors } from "../shared/schema.ts";
import { subscriberOperation } from "./schema.ts";

export const createSubscriptionRoute = createRoute({
  ...subscriberOperation,
  method: "post",
  path: "/subscriptions",
  summary:
    "Register this browser's push subscription (filters within the token's bounds; the same endpoint again: updated, 200)",
  request: { body: jsonBody(createSubscriptionBody) },
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
  // Neither cap counts the endpoint itself: registering it again updates the row (200).
  const others = sql`${pushSubscriptions.endpoint} <> ${endpoint}`;
  const caps: [Cap, Cap] = [
    {
      max: subscriber.maxSubscriptions,
      within: and(eq(pushSubscriptions.subscriberTokenId, subscriber.tokenId), others),
      refusal: () =>
        new ApiError(
          "conflict",
          `this token may register at most ${subscriber.maxSubscriptions} subscriptions; delete one first`,
        ),
    },
    // The tenant's cap, as `POST /v1/push/subscriptions` applies it.
    {
      max: c.var.deps.settings.PUSH_SUBSCRIPTIONS_MAX,
      within: others,
      what: "push subscriptions",
      setting: "PUSH_SUBSCRIPTIONS_MAX",
    },
  ];
  for (const cap of caps) await assertBelowCap(tenant, pushSubscriptions, cap);
  const id = newId("psub");
  const update = { p256dh: body.keys.p256dh, auth: body.keys.auth, filters: narrowed.filter };
  // An endpoint registered by the tenant or another token is not taken over: the update applies
  // only to this token's own row, and no row comes back otherwise.
  const [row] = await tenant.db
    .insert(pushSubscriptions)
    .values({
      id,
      tenantId: tenant.tenantId,
      endpoint,
      ...update,
      createdAtMs: c.var.deps.now(),
      subscriberTokenId: subscriber.tokenId,
      expiresAtMs: subscriber.expiresAtMs,
    })
    .onConflictDoUpdate({
      target: [pushSubscriptions.tenantId, pushSubscriptions.endpoint],
      set: update,
      setWhere: eq(pushSubscriptions.subscriberTokenId, subscriber.tokenId),
    })
    .returning();
  if (!row) throw new ApiError("conflict", "this endpoint is registered by someone else");
  if (row.id !== id) return c.json(presentSubscription(row), 200);
  // Concurrent registrations may have passed the checks above together.
  await enforceCapAfterInsert(tenant, pushSubscriptions, row.id, ...caps);
  setLocation(c, row.id);
  return c.json(presentSubscription(row), 201);
};
