import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { slos } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { ApiError } from "../../errors/api-error.ts";
import {
  bearerSecurity,
  errorResponses,
  json,
  securedErrorResponses,
} from "../../openapi/responses.ts";
import { presentSlo } from "./present.ts";
import { sloIdParams, sloSchema } from "./schema.ts";

export const getSloRoute = createRoute({
  method: "get",
  path: "/{id}",
  summary: "Get one SLO",
  tags: ["SLOs"],
  security: bearerSecurity,
  middleware: [requireScope("read")] as const,
  request: { params: sloIdParams },
  responses: {
    200: json(sloSchema, "The SLO"),
    ...securedErrorResponses(),
    ...errorResponses(400, 404),
  },
});

export const getSlo: RouteHandler<typeof getSloRoute, AppEnv> = async (c) => {
  const row = await c.var.tenant.get(slos, c.req.valid("param").id);
  if (!row) throw new ApiError("not_found", "SLO not found");
  return c.json(presentSlo(row), 200);
};
