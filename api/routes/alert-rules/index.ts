/**
 * `/v1/alert-rules`: the tenant's alert rules (core/alerts/rules.ts): SLO burn, latency threshold,
 * market price and market subsidy. The stream worker evaluates them; this resource only stores them.
 */
import { createRoute, OpenAPIHono, type RouteHandler } from "@hono/zod-openapi";
import { z } from "zod";
import { type AlertRule, alertRuleSchema } from "../../../core/alerts/rules.ts";
import { newId } from "../../../core/auth/ids.ts";
import { type AlertRuleRow, alertRules, slos } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { setLocation } from "../../conventions/location.ts";
import { keysetList, pageBody, pageQuery, pageSchema } from "../../conventions/pagination.ts";
import { ApiError } from "../../errors/api-error.ts";
import { invalidField } from "../../errors/handler.ts";
import {
  bearerSecurity,
  errorResponses,
  json,
  securedErrorResponses,
} from "../../openapi/responses.ts";
import { validationHook } from "../../openapi/validation-hook.ts";
import type { TenantScope } from "../../tenancy/tenant-scope.ts";

const ruleIdParams = z.object({
  id: z.string().regex(/^rul_[0-9A-Za-z]{16}$/, "must be an alert rule id (rul_…)"),
});

/** A rule as sent: the id is the server's; `enabled` (default true) pauses evaluation when false. */
const ruleBody = z
  .discriminatedUnion(
    "kind",
    alertRuleSchema.options.map((option) =>
      option.omit({ id: true }).extend({ enabled: z.boolean().optional() }),
    ) as unknown as [
      z.ZodObject<z.ZodRawShape>,
      z.ZodObject<z.ZodRawShape>,
      ...z.ZodObject<z.ZodRawShape>[],
    ],
  )
  .meta({
    id: "AlertRuleInput",
    description:
      "An alert rule: { kind: slo_burn | latency_threshold | market_price | market_subsidy, name, severity, params, for, keep_firing_for, labels, annotations, no_data, enabled? } (times in ms)",
  });

const storedRule = z
  .object({
    id: z.string(),
    enabled: z.boolean(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    rule: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "AlertRule" });

const present = (row: AlertRuleRow) => ({
  id: row.id,
  enabled: row.enabled,
  createdAt: new Date(row.createdAtMs).toISOString(),
  updatedAt: new Date(row.updatedAtMs).toISOString(),
  rule: row.rule as unknown as Record<string, unknown>,
});

/** An slo_burn rule must name an SLO of the same tenant, one of its tiers and its service. */
async function checkReferences(tenant: TenantScope, rule: AlertRule) {
  if (rule.kind !== "slo_burn") return;
  const slo = await tenant.get(slos, rule.params.sloId);
  if (!slo) throw invalidField("body.params.sloId", "no such SLO");
  if (!slo.tiers.some((t) => t.name === rule.params.tier))
    throw invalidField(
      "body.params.tier",
      `the SLO has no tier '${rule.params.tier}' (tiers: ${slo.tiers.map((t) => t.name).join(", ")})`,
    );
  if (slo.service !== rule.params.service)
    throw invalidField("body.params.service", `must be the SLO's service '${slo.service}'`);
}

/** The stored rule and its enabled flag from a request body. */
function ruleFrom(
  body: Record<string, unknown>,
  id: string,
): { rule: AlertRule; enabled?: boolean } {
  const { enabled, ...rest } = body;
  return {
    rule: { ...rest, id } as AlertRule,
    ...(typeof enabled === "boolean" ? { enabled } : {}),
  };
}

const tags = ["Alerts"];
const common = { tags, security: bearerSecurity };

const createRuleRoute = createRoute({
  ...common,
  method: "post",
  path: "/",
  summary: "Create an alert rule",
  middleware: [requireScope("write")] as const,
  request: { body: { required: true, content: { "application/json": { schema: ruleBody } } } },
  responses: {
    201: json(storedRule, "The rule"),
    ...securedErrorResponses(),
    ...errorResponses(400),
  },
});
const createRule: RouteHandler<typeof createRuleRoute, AppEnv> = async (c) => {
  const tenant = c.var.tenant;
  const id = newId("rul");
  const { rule, enabled } = ruleFrom(c.req.valid("json"), id);
  await checkReferences(tenant, rule);
  const nowMs = c.var.deps.now();
  const row = await tenant.insert(alertRules, {
    id,
    kind: rule.kind,
    rule,
    enabled: enabled ?? true,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
  });
  setLocation(c, row.id);
  return c.json(present(row), 201);
};

const listRulesRoute = createRoute({
  ...common,
  method: "get",
  path: "/",
  summary: "List the tenant's alert rules",
  middleware: [requireScope("read")] as const,
  request: { query: pageQuery },
  responses: {
    200: json(pageSchema(storedRule, "AlertRulePage"), "The rules, newest first"),
    ...securedErrorResponses(),
    ...errorResponses(400),
  },
});
const listRules: RouteHandler<typeof listRulesRoute, AppEnv> = async (c) => {
  const page = await newestRules(c.var.tenant, c.req.valid("query"));
  return c.json(pageBody(page, present), 200);
};

const newestRules = keysetList(alertRules, alertRules.createdAtMs);

const getRuleRoute = createRoute({
  ...common,
  method: "get",
  path: "/{id}",
  summary: "Get an alert rule",
  middleware: [requireScope("read")] as const,
  request: { params: ruleIdParams },
  responses: {
    200: json(storedRule, "The rule"),
    ...securedErrorResponses(),
    ...errorResponses(400, 404),
  },
});
const getRule: RouteHandler<typeof getRuleRoute, AppEnv> = async (c) => {
  const row = await c.var.tenant.get(alertRules, c.req.valid("param").id);
  if (!row) throw new ApiError("not_found", "alert rule not found");
  return c.json(present(row), 200);
};

const updateRuleRoute = createRoute({
  ...common,
  method: "put",
  path: "/{id}",
  summary:
    "Replace an alert rule (enabled defaults to true; its alerts keep their state while the labels stay the same)",
  middleware: [requireScope("write")] as const,
  request: {
    params: ruleIdParams,
    body: { required: true, content: { "application/json": { schema: ruleBody } } },
  },
  responses: {
    200: json(storedRule, "The rule"),
    ...securedErrorResponses(),
    ...errorResponses(400, 404),
  },
});
const updateRule: RouteHandler<typeof updateRuleRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const tenant = c.var.tenant;
  if (!(await tenant.get(alertRules, id))) throw new ApiError("not_found", "alert rule not found");
  const { rule, enabled } = ruleFrom(c.req.valid("json"), id);
  await checkReferences(tenant, rule);
  const row = await tenant.update(alertRules, id, {
    kind: rule.kind,
    rule,
    updatedAtMs: c.var.deps.now(),
    enabled: enabled ?? true,
  });
  if (!row) throw new ApiError("not_found", "alert rule not found");
  return c.json(present(row), 200);
};

const deleteRuleRoute = createRoute({
  ...common,
  method: "delete",
  path: "/{id}",
  summary: "Delete an alert rule (its firing alerts resolve at the next evaluation)",
  middleware: [requireScope("write")] as const,
  request: { params: ruleIdParams },
  responses: {
    204: { description: "Deleted" },
    ...securedErrorResponses(),
    ...errorResponses(400, 404),
  },
});
const deleteRule: RouteHandler<typeof deleteRuleRoute, AppEnv> = async (c) => {
  if (!(await c.var.tenant.delete(alertRules, c.req.valid("param").id)))
    throw new ApiError("not_found", "alert rule not found");
  return c.body(null, 204);
};

export const alertRuleRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(createRuleRoute, createRule)
  .openapi(listRulesRoute, listRules)
  .openapi(getRuleRoute, getRule)
  .openapi(updateRuleRoute, updateRule)
  .openapi(deleteRuleRoute, deleteRule);
