import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { pushSubscriptions } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { cancelPending } from "../../notify/outbox.ts";
import { deleteOr404 } from "../shared/rows.ts";
import { securedErrors } from "../shared/schema.ts";
import { pushOperation, subscriptionIdParams } from "./schema.ts";

export const deleteSubscriptionRoute = createRoute({
  ...pushOperation,
  method: "delete",
  path: "/{id}",
  summary: "Delete a push subscription (its pending messages are cancelled)",
  middleware: [requireScope("write")] as const,
  request: { params: subscriptionIdParams },
  responses: { 204: { description: "Deleted" }, ...securedErrors(400, 404) },
});

export const deleteSubscription: RouteHandler<typeof deleteSubscriptionRoute, AppEnv> = async (
  c,
) => {
  const { id } = c.req.valid("param");
  await deleteOr404(c.var.tenant, pushSubscriptions, id, "push subscription");
  await cancelPending(c.var.tenant, "push", id, "subscription deleted");
  return c.body(null, 204);
};
