import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { desc, isNull } from "drizzle-orm";
import { apiKeys } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import {
  bearerSecurity,
  errorResponses,
  json,
  securedErrorResponses,
} from "../../openapi/responses.ts";
import { perTenantQuery } from "../../tenancy/prepared.ts";
import { presentApiKey } from "./present.ts";
import { apiKeyListSchema, listApiKeysQuery } from "./schema.ts";

export const listApiKeysRoute = createRoute({
  method: "get",
  path: "/",
  summary: "List the tenant's API keys (masked)",
  tags: ["API keys"],
  security: bearerSecurity,
  middleware: [requireScope("admin")] as const,
  request: { query: listApiKeysQuery },
  responses: {
    200: json(apiKeyListSchema, "The keys, newest first"),
    ...securedErrorResponses(),
    ...errorResponses(400),
  },
});

const listQuery = (includeRevoked: boolean) =>
  perTenantQuery((tenant) =>
    tenant.db
      .select()
      .from(apiKeys)
      .where(tenant.where(apiKeys, includeRevoked ? undefined : isNull(apiKeys.revokedAtMs)))
      .orderBy(desc(apiKeys.createdAtMs))
      .limit(1000)
      .prepare(),
  );
const activeKeys = listQuery(false);
const allKeys = listQuery(true);

export const listApiKeys: RouteHandler<typeof listApiKeysRoute, AppEnv> = async (c) => {
  const { includeRevoked } = c.req.valid("query");
  const rows = await (includeRevoked ? allKeys : activeKeys)(c.var.tenant).all();
  return c.json({ data: rows.map(presentApiKey) }, 200);
};
