import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { alertRules } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { keysetList, pageBody } from "../../conventions/pagination.ts";
import { json } from "../../openapi/responses.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentAlertRule } from "./present.ts";
import { alertRuleListSchema, alertRuleOperation, listAlertRulesQuery } from "./schema.ts";

export const listAlertRulesRoute = createRoute({
  ...alertRuleOperation,
  method: "get",
  path: "/",
  summary: "List the tenant's alert rules",
  middleware: [requireScope("read")] as const,
  request: { query: listAlertRulesQuery },
  responses: { 200: json(alertRuleListSchema, "The rules, newest first"), ...securedErrors(400) },
});

const newestRules = keysetList(alertRules, alertRules.createdAtMs);

export const listAlertRules: RouteHandler<typeof listAlertRulesRoute, AppEnv> = async (c) => {
  const page = await newestRules(c.var.tenant, c.req.valid("query"));
  return c.json(pageBody(page, presentAlertRule), 200);
};
