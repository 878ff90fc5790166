import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../context.ts";
import { validationHook } from "../../openapi/validation-hook.ts";
import { createAlertRule, createAlertRuleRoute } from "./create.ts";
import { deleteAlertRule, deleteAlertRuleRoute } from "./delete.ts";
import { getAlertRule, getAlertRuleRoute } from "./get.ts";
import { listAlertRules, listAlertRulesRoute } from "./list.ts";
import { updateAlertRule, updateAlertRuleRoute } from "./update.ts";

/**
 * `/v1/alert-rules`: the tenant's alert rules (core/alerts/rules.ts): SLO burn, latency threshold,
 * market price and market subsidy. The stream worker evaluates them; this resource only stores them.
 */
export const alertRuleRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(createAlertRuleRoute, createAlertRule)
  .openapi(listAlertRulesRoute, listAlertRules)
  .openapi(getAlertRuleRoute, getAlertRule)
  .openapi(updateAlertRuleRoute, updateAlertRule)
  .openapi(deleteAlertRuleRoute, deleteAlertRule);
