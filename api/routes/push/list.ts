import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { pushSubscriptions } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { keysetList, pageBody, pageQuery, pageSchema } from "../../conventions/pagination.ts";
import { json } from "../../openapi/responses.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentSubscription } from "./present.ts";
import { pushOperation, subscriptionSchema } from "./schema.ts";

export const listSubscriptionsRoute = createRoute({
  ...pushOperation,
  method: "get",
  path: "/",
  summary: "List push subscriptions",
  middleware: [requireScope("read")] as const,
  request: { query: pageQuery },
  responses: {
    200: json(pageSchema(subscriptionSchema, "PushSubscriptionList"), "Newest first"),
    ...securedErrors(400),
  },
});

const newestSubscriptions = keysetList(pushSubscriptions, pushSubscriptions.createdAtMs);

export const listSubscriptions: RouteHandler<typeof listSubscriptionsRoute, AppEnv> = async (c) => {
  const page = await newestSubscriptions(c.var.tenant, c.req.valid("query"));
  return c.json(pageBody(page, presentSubscription), 200);
};
