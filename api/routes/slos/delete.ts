import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { slos } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { ApiError } from "../../errors/api-error.ts";
import { bearerSecurity, errorResponses, securedErrorResponses } from "../../openapi/responses.ts";
import { sloIdParams } from "./schema.ts";

export const deleteSloRoute = createRoute({
  method: "delete",
  path: "/{id}",
  summary: "Delete an SLO",
  tags: ["SLOs"],
  security: bearerSecurity,
  middleware: [requireScope("write")] as const,
  request: { params: sloIdParams },
  responses: {
    204: { description: "Deleted" },
    ...securedErrorResponses(),
    ...errorResponses(400, 404),
  },
});

export const deleteSlo: RouteHandler<typeof deleteSloRoute, AppEnv> = async (c) => {
  if (!(await c.var.tenant.delete(slos, c.req.valid("param").id)))
    throw new ApiError("not_found", "SLO not found");
  return c.body(null, 204);
};
