import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { alertRules } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { updateWhile, writeUnderPreconditions } from "../../conventions/preconditions.ts";
import { json } from "../../openapi/responses.ts";
import { jsonBody, securedErrors } from "../shared/schema.ts";
import { presentAlertRule } from "./present.ts";
import {
  alertRuleBody,
  alertRuleIdParams,
  alertRuleOperation,
  storedAlertRuleSchema,
} from "./schema.ts";
import { alertRuleTarget, checkReferences, ruleFrom } from "./store.ts";

export const updateAlertRuleRoute = createRoute({
  ...alertRuleOperation,
  method: "put",
  path: "/{id}",
  summary:
    "Replace an alert rule (enabled defaults to true; its alerts keep their state while the labels stay the same)",
  middleware: [requireScope("write")] as const,
  request: { params: alertRuleIdParams, body: jsonBody(alertRuleBody) },
  responses: { 200: json(storedAlertRuleSchema, "The rule"), ...securedErrors(400, 404, 412) },
});

export const updateAlertRule: RouteHandler<typeof updateAlertRuleRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const tenant = c.var.tenant;
  const row = await writeUnderPreconditions(c, alertRuleTarget(id), async (at) => {
    await at.row();
    const { rule, enabled } = ruleFrom(c.req.valid("json"), id);
    await checkReferences(tenant, rule);
    return updateWhile(tenant, alertRules, id, at.unchanged, {
      kind: rule.kind,
      rule,
      updatedAtMs: c.var.deps.now(),
      enabled: enabled ?? true,
    });
  });
  return c.json(presentAlertRule(row), 200);
};
