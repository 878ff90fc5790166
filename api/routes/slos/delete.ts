import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { slos } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { deleteOr404 } from "../shared/rows.ts";
import { securedErrors } from "../shared/schema.ts";
import { sloIdParams, sloOperation } from "./schema.ts";

export const deleteSloRoute = createRoute({
  method: "delete",
  path: "/{id}",
  summary: "Delete an SLO",
  ...sloOperation,
  middleware: [requireScope("write")] as const,
  request: { params: sloIdParams },
  responses: {
    204: { description: "Deleted" },
    ...securedErrors(400, 404),
  },
});

export const deleteSlo: RouteHandler<typeof deleteSloRoute, AppEnv> = async (c) => {
  await deleteOr404(c.var.tenant, slos, c.req.valid("param").id, "SLO");
  return c.body(null, 204);
};
