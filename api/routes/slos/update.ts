import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { writeUnderPreconditions } from "../../conventions/preconditions.ts";
import { json } from "../../openapi/responses.ts";
import { jsonBody, securedErrors } from "../shared/schema.ts";
import { presentSlo } from "./present.ts";
import { sloBody, sloIdParams, sloOperation, sloSchema } from "./schema.ts";
import { replaceSlo, sloTarget } from "./store.ts";

export const updateSloRoute = createRoute({
  method: "put",
  path: "/{id}",
  summary: "Replace an SLO's definition",
  ...sloOperation,
  middleware: [requireScope("write")] as const,
  request: {
    params: sloIdParams,
    body: jsonBody(sloBody),
  },
  responses: {
    200: json(sloSchema, "The updated SLO"),
    ...securedErrors(400, 404, 412),
  },
});

export const updateSlo: RouteHandler<typeof updateSloRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const row = await writeUnderPreconditions(c, sloTarget(id), (at) =>
    replaceSlo(c.var.tenant, id, c.req.valid("json"), c.var.deps.now(), at.unchanged),
  );
  return c.json(presentSlo(row), 200);
};
