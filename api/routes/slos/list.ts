import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { slos } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { keysetList, pageBody, pageQuery } from "../../conventions/pagination.ts";
import { json } from "../../openapi/responses.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentSlo } from "./present.ts";
import { sloListSchema, sloOperation } from "./schema.ts";

export const listSlosRoute = createRoute({
  method: "get",
  path: "/",
  summary: "List the tenant's SLOs",
  ...sloOperation,
  middleware: [requireScope("read")] as const,
  request: { query: pageQuery },
  responses: {
    200: json(sloListSchema, "The SLOs, newest first"),
    ...securedErrors(400),
  },
});

const listQuery = keysetList(slos, slos.createdAtMs);

export const listSlos: RouteHandler<typeof listSlosRoute, AppEnv> = async (c) => {
  const page = await listQuery(c.var.tenant, c.req.valid("query"));
  return c.json(pageBody(page, presentSlo), 200);
};
