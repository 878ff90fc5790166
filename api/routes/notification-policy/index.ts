import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../context.ts";
import { validationHook } from "../../openapi/validation-hook.ts";
import { getPolicy, getPolicyRoute } from "./get.ts";
import { replacePolicy, replacePolicyRoute } from "./replace.ts";

/**
 * `/v1/notification-policy`: the tenant's Alertmanager-style route (group_by, group_wait,
 * group_interval, repeat_interval, send_resolved; times in ms) and inhibition rules, one per tenant.
 * Tenants that never set one get the defaults; `inhibitRules: null` means the default inhibition (a
 * firing page inhibits the ticket of the same SLO), `[]` means none.
 */
export const notificationPolicyRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(getPolicyRoute, getPolicy)
  .openapi(replacePolicyRoute, replacePolicy);
