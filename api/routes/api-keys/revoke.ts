import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { apiKeys } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { updateWhile, writeUnderPreconditions } from "../../conventions/preconditions.ts";
import { getOr404 } from "../shared/rows.ts";
import { securedErrors } from "../shared/schema.ts";
import { apiKeyIdParams, apiKeyOperation } from "./schema.ts";
import { apiKeyTarget } from "./store.ts";

export const revokeApiKeyRoute = createRoute({
  method: "delete",
  path: "/{id}",
  summary: "Revoke an API key (idempotent)",
  ...apiKeyOperation,
  middleware: [requireScope("admin")] as const,
  request: { params: apiKeyIdParams },
  responses: {
    204: { description: "Revoked" },
    ...securedErrors(400, 404, 412),
  },
});

export const revokeApiKey: RouteHandler<typeof revokeApiKeyRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const tenant = c.var.tenant;
  await writeUnderPreconditions(c, apiKeyTarget(id), async (at) => {
    const row = at.current ?? (await getOr404(tenant, apiKeys, id, "API key"));
    if (row.revokedAtMs !== null) return row;
    return updateWhile(tenant, apiKeys, id, at.unchanged, { revokedAtMs: c.var.deps.now() });
  });
  c.var.deps.authCache.evictKey(id);
  return c.body(null, 204);
};
