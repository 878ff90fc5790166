import { createRoute, type RouteHandler } from "@hono/zod-openapi";
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
import { sloBody, sloIdParams, sloSchema } from "./schema.ts";
import { replaceSlo } from "./store.ts";

export const updateSloRoute = createRoute({
  method: "put",
  path: "/{id}",
  summary: "Replace an SLO's definition",
  tags: ["SLOs"],
  security: bearerSecurity,
  middleware: [requireScope("write")] as const,
  request: {
    params: sloIdParams,
    body: { required: true, content: { "application/json": { schema: sloBody } } },
  },
  responses: {
    200: json(sloSchema, "The updated SLO"),
    ...securedErrorResponses(),
    ...errorResponses(400, 404),
  },
});

export const updateSlo: RouteHandler<typeof updateSloRoute, AppEnv> = async (c) => {
  const row = await replaceSlo(
    c.var.tenant,
    c.req.valid("param").id,
    c.req.valid("json"),
    c.var.deps.now(),
  );
  if (!row) throw new ApiError("not_found", "SLO not found");
  return c.json(presentSlo(row), 200);
};
