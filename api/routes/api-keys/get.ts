import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { apiKeys } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { json } from "../../openapi/responses.ts";
import { getOr404 } from "../shared/rows.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentApiKey } from "./present.ts";
import { apiKeyIdParams, apiKeyOperation, apiKeySchema } from "./schema.ts";

export const getApiKeyRoute = createRoute({
  method: "get",
  path: "/{id}",
  summary: "Get one API key (masked)",
  ...apiKeyOperation,
  middleware: [requireScope("admin")] as const,
  request: { params: apiKeyIdParams },
  responses: {
    200: json(apiKeySchema, "The key"),
    ...securedErrors(400, 404),
  },
});

export const getApiKey: RouteHandler<typeof getApiKeyRoute, AppEnv> = async (c) => {
  const row = await getOr404(c.var.tenant, apiKeys, c.req.valid("param").id, "API key");
  return c.json(presentApiKey(row), 200);
};
