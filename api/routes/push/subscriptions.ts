/**
 * Web Push subscriptions of the tenant. Registering the same endpoint again updates that
 * subscription (keys and filters) and answers 200, so a browser can re-send its subscription freely.
 */
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { newId } from "../../../core/auth/ids.ts";
import { type PushSubscriptionRow, pushSubscriptions } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { assertBelowCap, enforceCapAfterInsert } from "../../conventions/caps.ts";
import { setLocation } from "../../conventions/location.ts";
import { keysetList, pageBody, pageQuery, pageSchema } from "../../conventions/pagination.ts";
import { ApiError } from "../../errors/api-error.ts";
import { pushEndpoint } from "../../notify/outbound.ts";
import { cancelPending, enqueueTestSend } from "../../notify/outbox.ts";
import {
  bearerSecurity,
  errorResponses,
  json,
  securedErrorResponses,
} from "../../openapi/responses.ts";
import { testSendSchema } from "../webhooks/schema.ts";
import { createSubscriptionBody, subscriptionIdParams, subscriptionSchema } from "./schema.ts";

export const common = { tags: ["Web Push"], security: bearerSecurity };

export const presentSubscription = (row: PushSubscriptionRow) => ({
  id: row.id,
  endpoint: row.endpoint,
  filters: row.filters,
  createdAt: new Date(row.createdAtMs).toISOString(),
});

const pushCap = (max: number) => ({
  max,
  what: "push subscriptions",
  setting: "PUSH_SUBSCRIPTIONS_MAX",
});

export const createSubscriptionRoute = createRoute({
  ...common,
  method: "post",
  path: "/",
  summary: "Register a push subscription (the same endpoint again: updated, 200)",
  middleware: [requireScope("write")] as const,
  request: {
    body: { required: true, content: { "application/json": { schema: createSubscriptionBody } } },
  },
  responses: {
    201: json(subscriptionSchema, "Registered"),
    200: json(subscriptionSchema, "The endpoint was registered already: keys and filters updated"),
    ...securedErrorResponses(),
    ...errorResponses(400, 409),
  },
});
export const createSubscription: RouteHandler<typeof createSubscriptionRoute, AppEnv> = async (
  c,
) => {
  const body = c.req.valid("json");
  const endpoint = pushEndpoint(body.endpoint, c.var.deps.settings);
  const id = newId("psub");
  const update = { p256dh: body.keys.p256dh, auth: body.keys.auth, filters: body.filters };
  const cap = pushCap(c.var.deps.settings.PUSH_SUBSCRIPTIONS_MAX);
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

export const listSubscriptionsRoute = createRoute({
  ...common,
  method: "get",
  path: "/",
  summary: "List push subscriptions",
  middleware: [requireScope("read")] as const,
  request: { query: pageQuery },
  responses: {
    200: json(pageSchema(subscriptionSchema, "PushSubscriptionList"), "Newest first"),
    ...securedErrorResponses(),
    ...errorResponses(400),
  },
});
export const listSubscriptions: RouteHandler<typeof listSubscriptionsRoute, AppEnv> = async (c) => {
  const page = await newestSubscriptions(c.var.tenant, c.req.valid("query"));
  return c.json(pageBody(page, presentSubscription), 200);
};

const newestSubscriptions = keysetList(pushSubscriptions, pushSubscriptions.createdAtMs);

export const getSubscriptionRoute = createRoute({
  ...common,
  method: "get",
  path: "/{id}",
  summary: "Get a push subscription",
  middleware: [requireScope("read")] as const,
  request: { params: subscriptionIdParams },
  responses: {
    200: json(subscriptionSchema, "The subscription"),
    ...securedErrorResponses(),
    ...errorResponses(400, 404),
  },
});
export const getSubscription: RouteHandler<typeof getSubscriptionRoute, AppEnv> = async (c) => {
  const row = await c.var.tenant.get(pushSubscriptions, c.req.valid("param").id);
  if (!row) throw new ApiError("not_found", "push subscription not found");
  return c.json(presentSubscription(row), 200);
};

export const deleteSubscriptionRoute = createRoute({
  ...common,
  method: "delete",
  path: "/{id}",
  summary: "Delete a push subscription (its pending messages are cancelled)",
  middleware: [requireScope("write")] as const,
  request: { params: subscriptionIdParams },
  responses: {
    204: { description: "Deleted" },
    ...securedErrorResponses(),
    ...errorResponses(400, 404),
  },
});
export const deleteSubscription: RouteHandler<typeof deleteSubscriptionRoute, AppEnv> = async (
  c,
) => {
  const { id } = c.req.valid("param");
  if (!(await c.var.tenant.delete(pushSubscriptions, id)))
    throw new ApiError("not_found", "push subscription not found");
  await cancelPending(c.var.tenant, "push", id, "subscription deleted");
  return c.body(null, 204);
};

export const testSubscriptionRoute = createRoute({
  ...common,
  method: "post",
  path: "/{id}/test",
  summary: "Queue a test push message to the subscription",
  middleware: [requireScope("write")] as const,
  request: { params: subscriptionIdParams },
  responses: {
    202: json(testSendSchema, "Queued"),
    ...securedErrorResponses(),
    ...errorResponses(400, 404),
  },
});
export const testSubscription: RouteHandler<typeof testSubscriptionRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const tenant = c.var.tenant;
  if (!(await tenant.get(pushSubscriptions, id)))
    throw new ApiError("not_found", "push subscription not found");
  const row = await enqueueTestSend(tenant, "push", id, c.var.deps.now());
  return c.json({ messageId: row.id, idempotencyKey: row.idempotencyKey }, 202);
};
