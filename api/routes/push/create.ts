import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { eq, not, type SQL } from "drizzle-orm";
import { newId } from "../../../core/auth/ids.ts";
import { pushSubscriptions } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { assertBelowCap, enforceCapAfterInsert } from "../../conventions/caps.ts";
import { setLocation } from "../../conventions/location.ts";
import { pushEndpoint } from "../../notify/outbound.ts";
import { json } from "../../openapi/responses.ts";
import { jsonBody, securedErrors } from "../shared/schema.ts";
import { lapsed } from "../subscriber/store.ts";
import { presentSubscription } from "./present.ts";
import { createSubscriptionBody, pushOperation, subscriptionSchema } from "./schema.ts";

export const createSubscriptionRoute = createRoute({
  ...pushOperation,
  method: "post",
  path: "/",
  summary: "Register a push subscription (the same endpoint again: updated, 200)",
  middleware: [requireScope("write")] as const,
  request: { body: jsonBody(createSubscriptionBody) },
  responses: {
    201: json(subscriptionSchema, "Registered"),
    200: json(subscriptionSchema, "The endpoint was registered already: keys and filters updated"),
    ...securedErrors(400, 409),
  },
});

/**
 * The tenant's cap (PUSH_SUBSCRIPTIONS_MAX), counting the rows `within` selects: rows of expired or
 * revoked subscriber tokens count in no cap (they get nothing).
 */
export const pushCap = (max: number, within: SQL | undefined) => ({
  max,
  within,
  what: "push subscriptions",
  setting: "PUSH_SUBSCRIPTIONS_MAX",
});

/**
 * Registering the same endpoint again updates that subscription (keys and filters) and answers 200,
 * so a browser can re-send its subscription freely.
 */
export const createSubscription: RouteHandler<typeof createSubscriptionRoute, AppEnv> = async (
  c,
) => {
  const body = c.req.valid("json");
  const endpoint = pushEndpoint(body.endpoint, c.var.deps.settings);
  const id = newId("psub");
  const update = { p256dh: body.keys.p256dh, auth: body.keys.auth, filters: body.filters };
  const cap = pushCap(c.var.deps.settings.PUSH_SUBSCRIPTIONS_MAX, not(lapsed(c.var.deps.now())));
  const known = await c.var.tenant.list(pushSubscriptions, {
    where: eq(pushSubscriptions.endpoint, endpoint),
    limit: 1,
  });
  if (known.length === 0) await assertBelowCap(c.var.tenant, pushSubscriptions, cap);
  const row = await c.var.tenant.upsert(
    pushSubscriptions,
    { id, endpoint, ...update, createdAtMs: c.var.deps.now() },
    [pushSubscriptions.tenantId, pushSubscriptions.endpoint],
    update,
  );
  if (row.id !== id) return c.json(presentSubscription(row), 200);
  await enforceCapAfterInsert(c.var.tenant, pushSubscriptions, row.id, cap);
  setLocation(c, row.id);
  return c.json(presentSubscription(row), 201);
};
