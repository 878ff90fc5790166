import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { json } from "../../openapi/responses.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentWebhook } from "./present.ts";
import { webhookEndpointSchema, webhookIdParams, webhookOperation } from "./schema.ts";
import { endpointOf } from "./store.ts";

export const getWebhookRoute = createRoute({
  ...webhookOperation,
  method: "get",
  path: "/{id}",
  summary: "Get a webhook endpoint (no secrets)",
  middleware: [requireScope("read")] as const,
  request: { params: webhookIdParams },
  responses: { 200: json(webhookEndpointSchema, "The endpoint"), ...securedErrors(400, 404) },
});

export const getWebhook: RouteHandler<typeof getWebhookRoute, AppEnv> = async (c) => {
  const row = await endpointOf(c.var.tenant, c.req.valid("param").id);
  return c.json(presentWebhook(row), 200);
};
