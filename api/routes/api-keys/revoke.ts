import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { apiKeys } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import {
  rowTarget,
  updateWhile,
  writeUnderPreconditions,
} from "../../conventions/preconditions.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentApiKey } from "./present.ts";
import { apiKeyIdParams, apiKeyOperation } from "./schema.ts";

/** A key as `GET /v1/api-keys/{id}` answers it: what DELETE evaluates preconditions against. */
const apiKeyTarget = rowTarget(apiKeys, "API key", presentApiKey);

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
    const row = await at.row();
    if (row.revokedAtMs !== null) return row;
    return updateWhile(tenant, apiKeys, id, at.unchanged, { revokedAtMs: c.var.deps.now() });
  });
  c.var.deps.authCache.evictKey(id);
  return c.body(null, 204);
};
