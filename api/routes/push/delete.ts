import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { pushSubscriptions } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import {
  deleteWhile,
  rowTarget,
  writeUnderPreconditions,
} from "../../conventions/preconditions.ts";
import { cancelPending } from "../../notify/outbox.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentSubscription } from "./present.ts";
import { pushOperation, subscriptionIdParams } from "./schema.ts";

/** A subscription as `GET /v1/push/subscriptions/{id}` answers it: what DELETE's preconditions see. */
const subscriptionTarget = rowTarget(pushSubscriptions, "push subscription", presentSubscription);

export const deleteSubscriptionRoute = createRoute({
  ...pushOperation,
  method: "delete",
  path: "/{id}",
  summary: "Delete a push subscription (its pending messages are cancelled)",
  middleware: [requireScope("write")] as const,
  request: { params: subscriptionIdParams },
  responses: { 204: { description: "Deleted" }, ...securedErrors(400, 404, 412) },
});

export const deleteSubscription: RouteHandler<typeof deleteSubscriptionRoute, AppEnv> = async (
  c,
) => {
  const { id } = c.req.valid("param");
  await writeUnderPreconditions(c, subscriptionTarget(id), (at) =>
    deleteWhile(c.var.tenant, pushSubscriptions, id, at.unchanged),
  );
  await cancelPending(c.var.tenant, "push", id, "subscription deleted");
  return c.body(null, 204);
};
