import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { setLocation } from "../../conventions/location.ts";
import { json } from "../../openapi/responses.ts";
import { jsonBody, securedErrors } from "../shared/schema.ts";
import { presentSlo } from "./present.ts";
import { sloBody, sloOperation, sloSchema } from "./schema.ts";
import { insertSlo } from "./store.ts";

export const createSloRoute = createRoute({
  method: "post",
  path: "/",
  summary: "Create an SLO (SRE-workbook burn-rate tiers by default)",
  ...sloOperation,
  middleware: [requireScope("write")] as const,
  request: { body: jsonBody(sloBody) },
  responses: {
    201: json(sloSchema, "The stored SLO"),
    ...securedErrors(400),
  },
});

export const createSlo: RouteHandler<typeof createSloRoute, AppEnv> = async (c) => {
  const row = await insertSlo(c.var.tenant, c.req.valid("json"), c.var.deps.now());
  setLocation(c, row.id);
  return c.json(presentSlo(row), 201);
};
