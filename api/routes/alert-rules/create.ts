import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { newId } from "../../../core/auth/ids.ts";
import { alertRules } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { setLocation } from "../../conventions/location.ts";
import { json } from "../../openapi/responses.ts";
import { createdStamps } from "../shared/rows.ts";
import { jsonBody, securedErrors } from "../shared/schema.ts";
import { presentAlertRule } from "./present.ts";
import { alertRuleBody, alertRuleOperation, storedAlertRuleSchema } from "./schema.ts";
import { checkReferences, ruleFrom } from "./store.ts";

export const createAlertRuleRoute = createRoute({
  ...alertRuleOperation,
  method: "post",
  path: "/",
  summary: "Create an alert rule",
  middleware: [requireScope("write")] as const,
  request: { body: jsonBody(alertRuleBody) },
  responses: { 201: json(storedAlertRuleSchema, "The rule"), ...securedErrors(400) },
});

export const createAlertRule: RouteHandler<typeof createAlertRuleRoute, AppEnv> = async (c) => {
  const tenant = c.var.tenant;
  const id = newId("rul");
  const { rule, enabled } = ruleFrom(c.req.valid("json"), id);
  await checkReferences(tenant, rule);
  const row = await tenant.insert(alertRules, {
    id,
    kind: rule.kind,
    rule,
    enabled: enabled ?? true,
    ...createdStamps(c.var.deps.now()),
  });
  setLocation(c, row.id);
  return c.json(presentAlertRule(row), 201);
};
