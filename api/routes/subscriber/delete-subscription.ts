import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { pushSubscriptions } from "../../../core/db/schema/index.ts";
import type { AppEnv } from "../../context.ts";
import { cancelPending } from "../../notify/outbox.ts";
import { subscriptionIdParams } from "../push/schema.ts";
import { notFound } from "../shared/rows.ts";
import { securedErrors } from "../shared/schema.ts";
import { subscriberOperation } from "./schema.ts";
import { own } from "./store.ts";

export const deleteSubscriptionRoute = createRoute({
  ...subscriberOperation,
  method: "delete",
  path: "/subscriptions/{id}",
  summary: "Delete one of this token's subscriptions (its pending messages are cancelled)",
  request: { params: subscriptionIdParams },
  responses: { 204: { description: "Deleted" }, ...securedErrors(400, 404) },
});

export const deleteSubscription: RouteHandler<typeof deleteSubscriptionRoute, AppEnv> = async (
  c,
) => {
  const { id } = c.req.valid("param");
  const { tenant, subscriber } = c.var;
  const deleted = await tenant.db
    .delete(pushSubscriptions)
    .where(own(tenant, subscriber, eq(pushSubscriptions.id, id)))
    .returning({ id: pushSubscriptions.id });
  if (deleted.length === 0) throw notFound("push subscription");
  await cancelPending(tenant, "push", id, "subscription deleted");
  return c.body(null, 204);
};
