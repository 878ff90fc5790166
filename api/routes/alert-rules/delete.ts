import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { alertRules } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { deleteOr404 } from "../shared/rows.ts";
import { securedErrors } from "../shared/schema.ts";
import { alertRuleIdParams, alertRuleOperation } from "./schema.ts";

export const deleteAlertRuleRoute = createRoute({
  ...alertRuleOperation,
  method: "delete",
  path: "/{id}",
  summary: "Delete an alert rule (its firing alerts resolve at the next evaluation)",
  middleware: [requireScope("write")] as const,
  request: { params: alertRuleIdParams },
  responses: { 204: { description: "Deleted" }, ...securedErrors(400, 404) },
});

export const deleteAlertRule: RouteHandler<typeof deleteAlertRuleRoute, AppEnv> = async (c) => {
  await deleteOr404(c.var.tenant, alertRules, c.req.valid("param").id, "alert rule");
  return c.body(null, 204);
};
