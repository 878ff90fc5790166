import { createRoute, OpenAPIHono, type RouteHandler } from "@hono/zod-openapi";
import { z } from "zod";
import { apiKeyScopes } from "../../../core/auth/api-keys.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { bearerSecurity, json, securedErrorResponses } from "../../openapi/responses.ts";
import { validationHook } from "../../openapi/validation-hook.ts";

const meSchema = z
  .object({ tenantId: z.string(), keyId: z.string(), scopes: z.array(z.enum(apiKeyScopes)) })
  .meta({ id: "Caller" });

const getMeRoute = createRoute({
  method: "get",
  path: "/",
  summary: "Who am I: the tenant and scopes of the calling API key",
  tags: ["API keys"],
  security: bearerSecurity,
  middleware: [requireScope("read")] as const,
  responses: { 200: json(meSchema, "The caller"), ...securedErrorResponses() },
});

const getMe: RouteHandler<typeof getMeRoute, AppEnv> = (c) => c.json({ ...c.var.auth }, 200);

/** `/v1/me` */
export const meRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(
  getMeRoute,
  getMe,
);
