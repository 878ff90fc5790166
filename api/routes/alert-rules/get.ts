import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { alertRules } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { json } from "../../openapi/responses.ts";
import { getOr404 } from "../shared/rows.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentAlertRule } from "./present.ts";
import { alertRuleIdParams, alertRuleOperation, storedAlertRuleSchema } from "./schema.ts";

export const getAlertRuleRoute = createRoute({
  ...alertRuleOperation,
  method: "get",
  path: "/{id}",
  summary: "Get an alert rule",
  middleware: [requireScope("read")] as const,
  request: { params: alertRuleIdParams },
  responses: { 200: json(storedAlertRuleSchema, "The rule"), ...securedErrors(400, 404) },
});

export const getAlertRule: RouteHandler<typeof getAlertRuleRoute, AppEnv> = async (c) => {
  const row = await getOr404(c.var.tenant, alertRules, c.req.valid("param").id, "alert rule");
  return c.json(presentAlertRule(row), 200);
};
