import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { pushSubscriptions } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { json } from "../../openapi/responses.ts";
import { getOr404 } from "../shared/rows.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentSubscription } from "./present.ts";
import { pushOperation, subscriptionIdParams, subscriptionSchema } from "./schema.ts";

export const getSubscriptionRoute = createRoute({
  ...pushOperation,
  method: "get",
  path: "/{id}",
  summary: "Get a push subscription",
  middleware: [requireScope("read")] as const,
  request: { params: subscriptionIdParams },
  responses: { 200: json(subscriptionSchema, "The subscription"), ...securedErrors(400, 404) },
});

export const getSubscription: RouteHandler<typeof getSubscriptionRoute, AppEnv> = async (c) => {
  const id = c.req.valid("param").id;
  const row = await getOr404(c.var.tenant, pushSubscriptions, id, "push subscription");
  return c.json(presentSubscription(row), 200);
};
