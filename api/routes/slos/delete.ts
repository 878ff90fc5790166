import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { slos } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { deleteWhile, writeUnderPreconditions } from "../../conventions/preconditions.ts";
import { securedErrors } from "../shared/schema.ts";
import { sloIdParams, sloOperation } from "./schema.ts";
import { sloTarget } from "./store.ts";

export const deleteSloRoute = createRoute({
  method: "delete",
  path: "/{id}",
  summary: "Delete an SLO",
  ...sloOperation,
  middleware: [requireScope("write")] as const,
  request: { params: sloIdParams },
  responses: {
    204: { description: "Deleted" },
    ...securedErrors(400, 404, 412),
  },
});

export const deleteSlo: RouteHandler<typeof deleteSloRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  await writeUnderPreconditions(c, sloTarget(id), (at) =>
    deleteWhile(c.var.tenant, slos, id, at.unchanged),
  );
  return c.body(null, 204);
};
