import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { count, eq, sql } from "drizzle-orm";
import { newId } from "../../../core/auth/ids.ts";
import { pushSubscriptions } from "../../../core/db/schema/index.ts";
import { narrowFilter } from "../../../core/notify/subscription-filter.ts";
import type { AppEnv } from "../../context.ts";
import { setLocation } from "../../conventions/location.ts";
import { ApiError } from "../../errors/api-error.ts";
import { invalidFields } from "../../errors/handler.ts";
import { pushEndpoint } from "../../notify/outbound.ts";
import { json } from "../../openapi/responses.ts";
import { presentSubscription } from "../push/present.ts";
import { createSubscriptionBody, subscriptionSchema } from "../push/schema.ts";
import { jsonBody, securedErrors } from "../shared/schema.ts";
import { subscriberOperation } from "./schema.ts";
import { own } from "./store.ts";

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
  const [held] = await tenant.db
    .select({ n: count() })
    .from(pushSubscriptions)
    .where(own(tenant, subscriber, sql`${pushSubscriptions.endpoint} <> ${endpoint}`))
    .all();
  if ((held?.n ?? 0) >= subscriber.maxSubscriptions)
    throw new ApiError(
      "conflict",
      `this token may register at most ${subscriber.maxSubscriptions} subscriptions; delete one first`,
    );
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
  setLocation(c, row.id);
  return c.json(presentSubscription(row), 201);
};
