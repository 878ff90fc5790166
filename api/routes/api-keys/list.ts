import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { isNull } from "drizzle-orm";
import { apiKeys } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { keysetList, pageBody } from "../../conventions/pagination.ts";
import { json } from "../../openapi/responses.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentApiKey } from "./present.ts";
import { apiKeyListSchema, apiKeyOperation, listApiKeysQuery } from "./schema.ts";

export const listApiKeysRoute = createRoute({
  method: "get",
  path: "/",
  summary: "List the tenant's API keys (masked)",
  ...apiKeyOperation,
  middleware: [requireScope("admin")] as const,
  request: { query: listApiKeysQuery },
  responses: {
    200: json(apiKeyListSchema, "The keys, newest first"),
    ...securedErrors(400),
  },
});

const activeKeys = keysetList(apiKeys, apiKeys.createdAtMs, {
  where: isNull(apiKeys.revokedAtMs),
});
const allKeys = keysetList(apiKeys, apiKeys.createdAtMs);

export const listApiKeys: RouteHandler<typeof listApiKeysRoute, AppEnv> = async (c) => {
  const query = c.req.valid("query");
  const page = await (query.includeRevoked ? allKeys : activeKeys)(c.var.tenant, query);
  return c.json(pageBody(page, presentApiKey), 200);
};
