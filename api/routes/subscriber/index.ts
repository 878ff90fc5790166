/**
 * `/v1/subscriber`: what a subscriber token may do, and nothing else. It manages its own push
 * subscriptions (filters narrowed to the bounds the tenant fixed, at most `maxSubscriptions`),
 * sends itself a test, and reads or acknowledges the alerts it was notified of (an alert listed in a
 * push message sent to one of its subscriptions). Every query is bounded by the tenant scope and the
 * token: another token's subscriptions and unnotified alerts answer 404.
 */
import { createRoute, OpenAPIHono, type RouteHandler } from "@hono/zod-openapi";
import { and, count, eq, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { newId } from "../../../core/auth/ids.ts";
import { alerts, outbox, pushSubscriptions } from "../../../core/db/schema/index.ts";
import { narrowFilter } from "../../../core/notify/subscription-filter.ts";
import { ensureVapidPublicKey } from "../../../core/notify/vapid.ts";
import type { AppEnv, SubscriberContext } from "../../context.ts";
import { setLocation } from "../../conventions/location.ts";
import { keysetList, pageBody, pageQuery, pageSchema } from "../../conventions/pagination.ts";
import { ApiError } from "../../errors/api-error.ts";
import { invalidFields } from "../../errors/handler.ts";
import { pushEndpoint } from "../../notify/outbound.ts";
import { cancelPending, enqueueTestSend } from "../../notify/outbox.ts";
import { errorResponses, json, securedErrorResponses } from "../../openapi/responses.ts";
import { validationHook } from "../../openapi/validation-hook.ts";
import type { TenantScope } from "../../tenancy/tenant-scope.ts";
import { presentAlert } from "../alerts/present.ts";
import { alertIdParams, alertSchema as alertOut } from "../alerts/schema.ts";
import { acknowledgeAs } from "../alerts/store.ts";
import { presentSubscription } from "../push/present.ts";
import {
  createSubscriptionBody,
  subscriptionIdParams,
  subscriptionSchema,
} from "../push/schema.ts";
import { filtersOut } from "../subscriber-tokens/schema.ts";
import { testSendSchema } from "../webhooks/schema.ts";

const common = { tags: ["Subscriber"], security: [{ subscriberToken: [] as string[] }] };
const responses = () => ({ ...securedErrorResponses(), ...errorResponses(400, 404) });

const own = (tenant: TenantScope, subscriber: SubscriberContext, where?: SQL) =>
  tenant.where(
    pushSubscriptions,
    and(eq(pushSubscriptions.subscriberTokenId, subscriber.tokenId), where),
  );

async function ownSubscription(tenant: TenantScope, subscriber: SubscriberContext, id: string) {
  const row = await tenant.db
    .select()
    .from(pushSubscriptions)
    .where(own(tenant, subscriber, eq(pushSubscriptions.id, id)))
    .get();
  if (!row) throw new ApiError("not_found", "push subscription not found");
  return row;
}

/**
 * Whether a push message listing alert `alertId` was written for one of the token's subscriptions
 * (the outbox keeps the planned notification: `payload.notification.alerts[].fingerprint`).
 */
async function wasNotified(tenant: TenantScope, subscriber: SubscriberContext, alertId: string) {
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

const meRoute = createRoute({
  ...common,
  method: "get",
  path: "/",
  summary: "The subscriber token: its bounds, expiry, and the VAPID key to subscribe with",
  responses: {
    200: json(
      z
        .object({
          tokenId: z.string(),
          name: z.string(),
          filters: filtersOut.describe("the bounds the tenant fixed (empty: any)"),
          maxSubscriptions: z.number().int(),
          expiresAt: z.iso.datetime(),
          vapidPublicKey: z.string(),
        })
        .meta({ id: "Subscriber" }),
      "The token",
    ),
    ...securedErrorResponses(),
  },
});
const me: RouteHandler<typeof meRoute, AppEnv> = async (c) => {
  const s = c.var.subscriber;
  const vapidPublicKey =
    c.var.deps.settings.VAPID_PUBLIC_KEY ??
    (await ensureVapidPublicKey(c.var.tenant.db, c.var.deps.now()));
  return c.json(
    {
      tokenId: s.tokenId,
      name: s.name,
      filters: s.filters,
      maxSubscriptions: s.maxSubscriptions,
      expiresAt: new Date(s.expiresAtMs).toISOString(),
      vapidPublicKey,
    },
    200,
  );
};

const listRoute = createRoute({
  ...common,
  method: "get",
  path: "/subscriptions",
  summary: "This token's push subscriptions, newest first",
  request: { query: pageQuery },
  responses: {
    200: json(pageSchema(subscriptionSchema, "SubscriberSubscriptionPage"), "The subscriptions"),
    ...securedErrorResponses(),
    ...errorResponses(400),
  },
});
const ownSubscriptions = keysetList(pushSubscriptions, pushSubscriptions.createdAtMs, {
  where: eq(pushSubscriptions.subscriberTokenId, sql.placeholder("tokenId")),
});
const list: RouteHandler<typeof listRoute, AppEnv> = async (c) => {
  const page = await ownSubscriptions(c.var.tenant, c.req.valid("query"), {
    tokenId: c.var.subscriber.tokenId,
  });
  return c.json(pageBody(page, presentSubscription), 200);
};

const createRouteDef = createRoute({
  ...common,
  method: "post",
  path: "/subscriptions",
  summary:
    "Register this browser's push subscription (filters within the token's bounds; the same endpoint again: updated, 200)",
  request: {
    body: { required: true, content: { "application/json": { schema: createSubscriptionBody } } },
  },
  responses: {
    201: json(subscriptionSchema, "Registered"),
    200: json(subscriptionSchema, "Updated"),
    ...securedErrorResponses(),
    ...errorResponses(400, 409),
  },
});
const create: RouteHandler<typeof createRouteDef, AppEnv> = async (c) => {
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

const deleteRoute = createRoute({
  ...common,
  method: "delete",
  path: "/subscriptions/{id}",
  summary: "Delete one of this token's subscriptions (its pending messages are cancelled)",
  request: { params: subscriptionIdParams },
  responses: { 204: { description: "Deleted" }, ...responses() },
});
const remove: RouteHandler<typeof deleteRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const { tenant, subscriber } = c.var;
  const deleted = await tenant.db
    .delete(pushSubscriptions)
    .where(own(tenant, subscriber, eq(pushSubscriptions.id, id)))
    .returning({ id: pushSubscriptions.id });
  if (deleted.length === 0) throw new ApiError("not_found", "push subscription not found");
  await cancelPending(tenant, "push", id, "subscription deleted");
  return c.body(null, 204);
};

const testRoute = createRoute({
  ...common,
  method: "post",
  path: "/subscriptions/{id}/test",
  summary: "Queue a test push message to one of this token's subscriptions",
  request: { params: subscriptionIdParams },
  responses: { 202: json(testSendSchema, "Queued"), ...responses() },
});
const test: RouteHandler<typeof testRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  await ownSubscription(c.var.tenant, c.var.subscriber, id);
  const row = await enqueueTestSend(c.var.tenant, "push", id, c.var.deps.now());
  return c.json({ messageId: row.id, idempotencyKey: row.idempotencyKey }, 202);
};

const getAlertRoute = createRoute({
  ...common,
  method: "get",
  path: "/alerts/{id}",
  summary: "An alert this token was notified of",
  request: { params: alertIdParams },
  responses: { 200: json(alertOut, "The alert"), ...responses() },
});
const getAlert: RouteHandler<typeof getAlertRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const { tenant, subscriber } = c.var;
  const row = (await wasNotified(tenant, subscriber, id))
    ? await tenant.get(alerts, id)
    : undefined;
  if (!row) throw new ApiError("not_found", "alert not found");
  return c.json(presentAlert(row), 200);
};

const acknowledgeRoute = createRoute({
  ...common,
  method: "post",
  path: "/alerts/{id}/acknowledge",
  summary: "Acknowledge an alert this token was notified of (idempotent; 409 once it has resolved)",
  request: { params: alertIdParams },
  responses: { 200: json(alertOut, "The alert"), ...responses(), ...errorResponses(409) },
});
const acknowledgeAlert: RouteHandler<typeof acknowledgeRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const { tenant, subscriber } = c.var;
  if (!(await wasNotified(tenant, subscriber, id)))
    throw new ApiError("not_found", "alert not found");
  const row = await acknowledgeAs(tenant, id, c.var.deps.now(), subscriber.tokenId);
  return c.json(presentAlert(row), 200);
};

export const subscriberRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(meRoute, me)
  .openapi(listRoute, list)
  .openapi(createRouteDef, create)
  .openapi(deleteRoute, remove)
  .openapi(testRoute, test)
  .openapi(getAlertRoute, getAlert)
  .openapi(acknowledgeRoute, acknowledgeAlert);
