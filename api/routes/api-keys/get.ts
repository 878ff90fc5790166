import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { apiKeys } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { ApiError } from "../../errors/api-error.ts";
import {
  bearerSecurity,
  errorResponses,
  json,
  securedErrorResponses,
} from "../../openapi/responses.ts";
import { presentApiKey } from "./present.ts";
import { apiKeyIdParams, apiKeySchema } from "./schema.ts";

export const getApiKeyRoute = createRoute({
  method: "get",
  path: "/{id}",
  summary: "Get one API key (masked)",
  tags: ["API keys"],
  security: bearerSecurity,
  middleware: [requireScope("admin")] as const,
  request: { params: apiKeyIdParams },
  responses: {
    200: json(apiKeySchema, "The key"),
    ...securedErrorResponses(),
    ...errorResponses(400, 404),
  },
});

export const getApiKey: RouteHandler<typeof getApiKeyRoute, AppEnv> = async (c) => {
  const row = await c.var.tenant.get(apiKeys, c.req.valid("param").id);
  if (!row) throw new ApiError("not_found", "API key not found");
  return c.json(presentApiKey(row), 200);
};
