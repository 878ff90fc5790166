import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { apiKeys } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { ApiError } from "../../errors/api-error.ts";
import { bearerSecurity, errorResponses, securedErrorResponses } from "../../openapi/responses.ts";
import { apiKeyIdParams } from "./schema.ts";

export const revokeApiKeyRoute = createRoute({
  method: "delete",
  path: "/{id}",
  summary: "Revoke an API key (idempotent)",
  tags: ["API keys"],
  security: bearerSecurity,
  middleware: [requireScope("admin")] as const,
  request: { params: apiKeyIdParams },
  responses: {
    204: { description: "Revoked" },
    ...securedErrorResponses(),
    ...errorResponses(400, 404),
  },
});

export const revokeApiKey: RouteHandler<typeof revokeApiKeyRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const row = await c.var.tenant.get(apiKeys, id);
  if (!row) throw new ApiError("not_found", "API key not found");
  if (row.revokedAtMs === null) {
    await c.var.tenant.update(apiKeys, id, { revokedAtMs: c.var.deps.now() });
  }
  c.var.deps.authCache.evictKey(id);
  return c.body(null, 204);
};
