import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { bearerSecurity, json, securedErrorResponses } from "../../openapi/responses.ts";
import { meSchema } from "./schema.ts";

export const getMeRoute = createRoute({
  method: "get",
  path: "/",
  summary: "Who am I: the tenant and scopes of the calling API key",
  tags: ["API keys"],
  security: bearerSecurity,
  middleware: [requireScope("read")] as const,
  responses: { 200: json(meSchema, "The caller"), ...securedErrorResponses() },
});

export const getMe: RouteHandler<typeof getMeRoute, AppEnv> = (c) => c.json({ ...c.var.auth }, 200);
