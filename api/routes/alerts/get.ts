import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { alerts } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { json } from "../../openapi/responses.ts";
import { getOr404 } from "../shared/rows.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentAlert } from "./present.ts";
import { alertIdParams, alertOperation, alertSchema } from "./schema.ts";

export const getAlertRoute = createRoute({
  ...alertOperation,
  method: "get",
  path: "/{id}",
  summary: "Get an alert",
  middleware: [requireScope("read")] as const,
  request: { params: alertIdParams },
  responses: { 200: json(alertSchema, "The alert"), ...securedErrors(400, 404) },
});

export const getAlert: RouteHandler<typeof getAlertRoute, AppEnv> = async (c) => {
  const row = await getOr404(c.var.tenant, alerts, c.req.valid("param").id, "alert");
  return c.json(presentAlert(row), 200);
};
