import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { silences } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { json } from "../../openapi/responses.ts";
import { getOr404 } from "../shared/rows.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentSilence } from "./present.ts";
import { silenceIdParams, silenceOperation, silenceSchema } from "./schema.ts";

export const getSilenceRoute = createRoute({
  ...silenceOperation,
  method: "get",
  path: "/{id}",
  summary: "Get a silence",
  middleware: [requireScope("read")] as const,
  request: { params: silenceIdParams },
  responses: { 200: json(silenceSchema, "The silence"), ...securedErrors(400, 404) },
});

export const getSilence: RouteHandler<typeof getSilenceRoute, AppEnv> = async (c) => {
  const row = await getOr404(c.var.tenant, silences, c.req.valid("param").id, "silence");
  return c.json(presentSilence(row, c.var.deps.now()), 200);
};
