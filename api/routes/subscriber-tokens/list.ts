import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { isNull } from "drizzle-orm";
import { subscriberTokens } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { keysetList, pageBody } from "../../conventions/pagination.ts";
import { json } from "../../openapi/responses.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentSubscriberToken } from "./present.ts";
import {
  listSubscriberTokensQuery,
  subscriberTokenListSchema,
  subscriberTokenOperation,
} from "./schema.ts";
import { subscriptionCounts } from "./store.ts";

export const listSubscriberTokensRoute = createRoute({
  ...subscriberTokenOperation,
  method: "get",
  path: "/",
  summary: "List subscriber tokens (masked), newest first",
  middleware: [requireScope("write")] as const,
  request: { query: listSubscriberTokensQuery },
  responses: { 200: json(subscriberTokenListSchema, "The tokens"), ...securedErrors(400) },
});

const allTokens = keysetList(subscriberTokens, subscriberTokens.createdAtMs);
const liveTokens = keysetList(subscriberTokens, subscriberTokens.createdAtMs, {
  where: isNull(subscriberTokens.revokedAtMs),
});

export const listSubscriberTokens: RouteHandler<typeof listSubscriberTokensRoute, AppEnv> = async (
  c,
) => {
  const query = c.req.valid("query");
  const page = await (query.includeRevoked ? allTokens : liveTokens)(c.var.tenant, query);
  const counts = await subscriptionCounts(
    c.var.tenant,
    page.rows.map((r) => r.id),
  );
  return c.json(
    pageBody(page, (r) => presentSubscriberToken(r, counts.get(r.id) ?? 0)),
    200,
  );
};
