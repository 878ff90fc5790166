import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { pageBody } from "../../conventions/pagination.ts";
import { listMessages } from "../../notify/outbox.ts";
import { json } from "../../openapi/responses.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentMessage } from "./present.ts";
import {
  listMessagesQuery,
  messagePageSchema,
  webhookIdParams,
  webhookOperation,
} from "./schema.ts";
import { endpointOf } from "./store.ts";

export const listMessagesRoute = createRoute({
  ...webhookOperation,
  method: "get",
  path: "/{id}/messages",
  summary: "Messages of the endpoint (the outbox), newest first",
  middleware: [requireScope("read")] as const,
  request: { params: webhookIdParams, query: listMessagesQuery },
  responses: { 200: json(messagePageSchema, "One page of messages"), ...securedErrors(400, 404) },
});

export const listWebhookMessages: RouteHandler<typeof listMessagesRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const query = c.req.valid("query");
  await endpointOf(c.var.tenant, id);
  const page = await listMessages(c.var.tenant, "webhook", id, {
    status: query.status,
    limit: query.limit,
    after: query.cursor,
  });
  return c.json(pageBody(page, presentMessage), 200);
};
