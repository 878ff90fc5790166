import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { webhookEndpoints } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { deleteWhile, writeUnderPreconditions } from "../../conventions/preconditions.ts";
import { cancelPending } from "../../notify/outbox.ts";
import { securedErrors } from "../shared/schema.ts";
import { webhookIdParams, webhookOperation } from "./schema.ts";
import { webhookTarget } from "./store.ts";

export const deleteWebhookRoute = createRoute({
  ...webhookOperation,
  method: "delete",
  path: "/{id}",
  summary: "Delete a webhook endpoint (its pending messages are cancelled)",
  middleware: [requireScope("write")] as const,
  request: { params: webhookIdParams },
  responses: { 204: { description: "Deleted" }, ...securedErrors(400, 404, 412) },
});

export const deleteWebhook: RouteHandler<typeof deleteWebhookRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const tenant = c.var.tenant;
  await writeUnderPreconditions(c, webhookTarget(id), (at) =>
    deleteWhile(tenant, webhookEndpoints, id, at.unchanged),
  );
  await cancelPending(tenant, "webhook", id, "endpoint deleted");
  return c.body(null, 204);
};
