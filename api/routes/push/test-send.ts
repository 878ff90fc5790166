import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { pushSubscriptions } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { enqueueTestSend } from "../../notify/outbox.ts";
import { json } from "../../openapi/responses.ts";
import { getOr404 } from "../shared/rows.ts";
import { securedErrors } from "../shared/schema.ts";
import { testSendSchema } from "../webhooks/schema.ts";
import { pushOperation, subscriptionIdParams } from "./schema.ts";

export const testSubscriptionRoute = createRoute({
  ...pushOperation,
  method: "post",
  path: "/{id}/test",
  summary: "Queue a test push message to the subscription",
  middleware: [requireScope("write")] as const,
  request: { params: subscriptionIdParams },
  responses: { 202: json(testSendSchema, "Queued"), ...securedErrors(400, 404) },
});

export const testSubscription: RouteHandler<typeof testSubscriptionRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const tenant = c.var.tenant;
  await getOr404(tenant, pushSubscriptions, id, "push subscription");
  const row = await enqueueTestSend(tenant, "push", id, c.var.deps.now());
  return c.json({ messageId: row.id, idempotencyKey: row.idempotencyKey }, 202);
};
