import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { slos } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { json } from "../../openapi/responses.ts";
import { getOr404 } from "../shared/rows.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentSlo } from "./present.ts";
import { sloIdParams, sloOperation, sloSchema } from "./schema.ts";

export const getSloRoute = createRoute({
  method: "get",
  path: "/{id}",
  summary: "Get one SLO",
  ...sloOperation,
  middleware: [requireScope("read")] as const,
  request: { params: sloIdParams },
  responses: {
    200: json(sloSchema, "The SLO"),
    ...securedErrors(400, 404),
  },
});

export const getSlo: RouteHandler<typeof getSloRoute, AppEnv> = async (c) => {
  const row = await getOr404(c.var.tenant, slos, c.req.valid("param").id, "SLO");
  return c.json(presentSlo(row), 200);
};
