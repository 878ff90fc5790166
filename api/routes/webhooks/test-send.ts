import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { enqueueTestSend } from "../../notify/outbox.ts";
import { json } from "../../openapi/responses.ts";
import { securedErrors } from "../shared/schema.ts";
import { testSendSchema, webhookIdParams, webhookOperation } from "./schema.ts";
import { assertEnabled, endpointOf } from "./store.ts";

export const testWebhookRoute = createRoute({
  ...webhookOperation,
  method: "post",
  path: "/{id}/test",
  summary: "Queue a test message to the endpoint (payload type `test`, never a real alert)",
  middleware: [requireScope("write")] as const,
  request: { params: webhookIdParams },
  responses: {
    202: json(testSendSchema, "Queued; follow it in /messages and /attempts"),
    ...securedErrors(400, 404, 409),
  },
});

export const testWebhook: RouteHandler<typeof testWebhookRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const tenant = c.var.tenant;
  assertEnabled(await endpointOf(tenant, id));
  const row = await enqueueTestSend(tenant, "webhook", id, c.var.deps.now());
  return c.json({ messageId: row.id, idempotencyKey: row.idempotencyKey }, 202);
};
