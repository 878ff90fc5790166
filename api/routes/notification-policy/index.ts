/**
 * `/v1/notification-policy`: the tenant's Alertmanager-style route (group_by, group_wait,
 * group_interval, repeat_interval, send_resolved; times in ms) and inhibition rules, one per tenant.
 * Tenants that never set one get the defaults; `inhibitRules: null` means the default inhibition (a
 * firing page inhibits the ticket of the same SLO), `[]` means none.
 */
import { createRoute, OpenAPIHono, type RouteHandler } from "@hono/zod-openapi";
import { z } from "zod";
import { matcherSchema } from "../../../core/alerts/matchers.ts";
import { type RouteConfig, routeSchema } from "../../../core/alerts/plan.ts";
import {
  defaultInhibitRules,
  type InhibitRule,
  inhibitRuleSchema,
} from "../../../core/alerts/suppression.ts";
import { newId } from "../../../core/auth/ids.ts";
import { notificationPolicies } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import {
  bearerSecurity,
  errorResponses,
  json,
  securedErrorResponses,
} from "../../openapi/responses.ts";
import { validationHook } from "../../openapi/validation-hook.ts";

const policyBody = z
  .strictObject({
    route: routeSchema.default(routeSchema.parse({})),
    inhibitRules: z
      .array(inhibitRuleSchema)
      .max(32)
      .nullable()
      .default(null)
      .describe("null: the default rule (a firing page inhibits the ticket of the same SLO)"),
  })
  .meta({ id: "NotificationPolicyInput" });

const routeOut = z.object({
  id: z.string(),
  group_by: z.array(z.string()),
  group_wait: z.number().int(),
  group_interval: z.number().int(),
  repeat_interval: z.number().int(),
  send_resolved: z.boolean(),
  escalate_immediately: z.boolean(),
});
const inhibitOut = z.object({
  source_matchers: z.array(matcherSchema),
  target_matchers: z.array(matcherSchema),
  equal: z.array(z.string()),
});

const policyOut = z
  .object({
    route: routeOut,
    inhibitRules: z.array(inhibitOut).nullable().describe("as stored; null: the default"),
    effectiveInhibitRules: z.array(inhibitOut).describe("what the evaluator applies"),
    isDefault: z.boolean().describe("true: the tenant has not set a policy"),
    updatedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "NotificationPolicy" });

const present = (
  route: RouteConfig,
  inhibitRules: InhibitRule[] | null,
  updatedAtMs: number | null,
) => ({
  // A route stored before a setting existed shows (and is evaluated with) that setting's default.
  route: routeSchema.safeParse(route).data ?? route,
  inhibitRules,
  effectiveInhibitRules: inhibitRules ?? [...defaultInhibitRules],
  isDefault: updatedAtMs === null,
  updatedAt: updatedAtMs === null ? null : new Date(updatedAtMs).toISOString(),
});

const common = { tags: ["Alerts"], security: bearerSecurity };

const getPolicyRoute = createRoute({
  ...common,
  method: "get",
  path: "/",
  summary: "The tenant's notification policy (the defaults when none was set)",
  middleware: [requireScope("read")] as const,
  responses: { 200: json(policyOut, "The policy"), ...securedErrorResponses() },
});
const getPolicy: RouteHandler<typeof getPolicyRoute, AppEnv> = async (c) => {
  const [row] = await c.var.tenant.list(notificationPolicies, { limit: 1 });
  if (!row) return c.json(present(routeSchema.parse({}), null, null), 200);
  return c.json(present(row.route, row.inhibitRules, row.updatedAtMs), 200);
};

const putPolicyRoute = createRoute({
  ...common,
  method: "put",
  path: "/",
  summary: "Replace the tenant's notification policy (omitted fields take their defaults)",
  middleware: [requireScope("write")] as const,
  request: { body: { required: true, content: { "application/json": { schema: policyBody } } } },
  responses: {
    200: json(policyOut, "The policy as stored"),
    ...securedErrorResponses(),
    ...errorResponses(400),
  },
});
const putPolicy: RouteHandler<typeof putPolicyRoute, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const nowMs = c.var.deps.now();
  const values = { route: body.route, inhibitRules: body.inhibitRules, updatedAtMs: nowMs };
  const row = await c.var.tenant.upsert(
    notificationPolicies,
    { id: newId("pol"), ...values },
    [notificationPolicies.tenantId],
    values,
  );
  return c.json(present(row.route, row.inhibitRules, row.updatedAtMs), 200);
};

export const notificationPolicyRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(getPolicyRoute, getPolicy)
  .openapi(putPolicyRoute, putPolicy);
