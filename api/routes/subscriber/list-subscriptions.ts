import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { eq, sql } from "drizzle-orm";
import { pushSubscriptions } from "../../../core/db/schema/index.ts";
import type { AppEnv } from "../../context.ts";
import { keysetList, pageBody, pageQuery } from "../../conventions/pagination.ts";
import { json } from "../../openapi/responses.ts";
import { presentSubscription } from "../push/present.ts";
import { securedErrors } from "../shared/schema.ts";
import { subscriberOperation, subscriberSubscriptionPageSchema } from "./schema.ts";

export const listSubscriptionsRoute = createRoute({
  ...subscriberOperation,
  method: "get",
  path: "/subscriptions",
  summary: "This token's push subscriptions, newest first",
  request: { query: pageQuery },
  responses: {
    200: json(subscriberSubscriptionPageSchema, "The subscriptions"),
    ...securedErrors(400),
  },
});

const ownSubscriptions = keysetList(pushSubscriptions, pushSubscriptions.createdAtMs, {
  where: eq(pushSubscriptions.subscriberTokenId, sql.placeholder("tokenId")),
});

export const listSubscriptions: RouteHandler<typeof listSubscriptionsRoute, AppEnv> = async (c) => {
  const page = await ownSubscriptions(c.var.tenant, c.req.valid("query"), {
    tokenId: c.var.subscriber.tokenId,
  });
  return c.json(pageBody(page, presentSubscription), 200);
};
