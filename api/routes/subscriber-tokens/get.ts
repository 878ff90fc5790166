import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { subscriberTokens } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { json } from "../../openapi/responses.ts";
import { getOr404 } from "../shared/rows.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentSubscriberToken } from "./present.ts";
import {
  subscriberTokenIdParams,
  subscriberTokenOperation,
  subscriberTokenSchema,
} from "./schema.ts";
import { subscriptionCounts } from "./store.ts";

export const getSubscriberTokenRoute = createRoute({
  ...subscriberTokenOperation,
  method: "get",
  path: "/{id}",
  summary: "Get a subscriber token (masked)",
  middleware: [requireScope("write")] as const,
  request: { params: subscriberTokenIdParams },
  responses: { 200: json(subscriberTokenSchema, "The token"), ...securedErrors(400, 404) },
});

export const getSubscriberToken: RouteHandler<typeof getSubscriberTokenRoute, AppEnv> = async (
  c,
) => {
  const id = c.req.valid("param").id;
  const row = await getOr404(c.var.tenant, subscriberTokens, id, "subscriber token");
  const counts = await subscriptionCounts(c.var.tenant, [row.id]);
  return c.json(presentSubscriberToken(row, counts.get(row.id) ?? 0), 200);
};
