import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { webhookEndpoints } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { keysetList, pageBody, pageQuery, pageSchema } from "../../conventions/pagination.ts";
import { json } from "../../openapi/responses.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentWebhook } from "./present.ts";
import { webhookEndpointSchema, webhookOperation } from "./schema.ts";

export const listWebhooksRoute = createRoute({
  ...webhookOperation,
  method: "get",
  path: "/",
  summary: "List webhook endpoints (no secrets)",
  middleware: [requireScope("read")] as const,
  request: { query: pageQuery },
  responses: {
    200: json(
      pageSchema(webhookEndpointSchema, "WebhookEndpointList"),
      "The endpoints, newest first",
    ),
    ...securedErrors(400),
  },
});

const newestEndpoints = keysetList(webhookEndpoints, webhookEndpoints.createdAtMs);

export const listWebhooks: RouteHandler<typeof listWebhooksRoute, AppEnv> = async (c) => {
  const page = await newestEndpoints(c.var.tenant, c.req.valid("query"));
  return c.json(pageBody(page, presentWebhook), 200);
};
