import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { pageBody } from "../../conventions/pagination.ts";
import { listAttempts } from "../../notify/outbox.ts";
import { json } from "../../openapi/responses.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentAttempt } from "./present.ts";
import {
  attemptPageSchema,
  listAttemptsQuery,
  webhookIdParams,
  webhookOperation,
} from "./schema.ts";
import { endpointOf } from "./store.ts";

export const listAttemptsRoute = createRoute({
  ...webhookOperation,
  method: "get",
  path: "/{id}/attempts",
  summary: "Delivery attempts to the endpoint (status, duration, response excerpt), newest first",
  middleware: [requireScope("read")] as const,
  request: { params: webhookIdParams, query: listAttemptsQuery },
  responses: { 200: json(attemptPageSchema, "One page of attempts"), ...securedErrors(400, 404) },
});

export const listWebhookAttempts: RouteHandler<typeof listAttemptsRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const query = c.req.valid("query");
  await endpointOf(c.var.tenant, id);
  const page = await listAttempts(c.var.tenant, "webhook", id, {
    messageId: query.messageId,
    limit: query.limit,
    after: query.cursor,
  });
  return c.json(pageBody(page, presentAttempt), 200);
};
