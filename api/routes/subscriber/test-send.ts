import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../context.ts";
import { enqueueTestSend } from "../../notify/outbox.ts";
import { json } from "../../openapi/responses.ts";
import { subscriptionIdParams } from "../push/schema.ts";
import { securedErrors } from "../shared/schema.ts";
import { testSendSchema } from "../webhooks/schema.ts";
import { subscriberOperation } from "./schema.ts";
import { ownSubscription } from "./store.ts";

export const testSubscriptionRoute = createRoute({
  ...subscriberOperation,
  method: "post",
  path: "/subscriptions/{id}/test",
  summary: "Queue a test push message to one of this token's subscriptions",
  request: { params: subscriptionIdParams },
  responses: { 202: json(testSendSchema, "Queued"), ...securedErrors(400, 404) },
});

export const testSubscription: RouteHandler<typeof testSubscriptionRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  await ownSubscription(c.var.tenant, c.var.subscriber, id);
  const row = await enqueueTestSend(c.var.tenant, "push", id, c.var.deps.now());
  return c.json({ messageId: row.id, idempotencyKey: row.idempotencyKey }, 202);
};
