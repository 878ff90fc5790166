import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { json } from "../../openapi/responses.ts";
import { notFound } from "../shared/rows.ts";
import { jsonBody, securedErrors } from "../shared/schema.ts";
import { presentSlo } from "./present.ts";
import { sloBody, sloIdParams, sloOperation, sloSchema } from "./schema.ts";
import { replaceSlo } from "./store.ts";

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
    ...securedErrors(400, 404),
  },
});

export const updateSlo: RouteHandler<typeof updateSloRoute, AppEnv> = async (c) => {
  const row = await replaceSlo(
    c.var.tenant,
    c.req.valid("param").id,
    c.req.valid("json"),
    c.var.deps.now(),
  );
  if (!row) throw notFound("SLO");
  return c.json(presentSlo(row), 200);
};
