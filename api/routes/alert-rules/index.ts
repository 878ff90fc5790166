/**
 * `/v1/alert-rules`: the tenant's alert rules (core/alerts/rules.ts): SLO burn, latency threshold,
 * market price and market subsidy. The stream worker evaluates them; this resource only stores them.
 */
import { createRoute, OpenAPIHono, type RouteHandler } from "@hono/zod-openapi";
import { desc } from "drizzle-orm";
import { z } from "zod";
import { type AlertRule, alertRuleSchema } from "../../../core/alerts/rules.ts";
import { newId } from "../../../core/auth/ids.ts";
import { type AlertRuleRow, alertRules, slos } from "../../../core/db/schema/index.ts";
import { ApiError } from "../../../core/http/errors.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
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

/** A rule as sent: the id is the server's. */
const ruleBody = z
  .unknown()
  .transform((v, ctx) => {
    const candidate = v && typeof v === "object" ? { ...(v as object), id: "placeholder" } : v;
    const parsed = alertRuleSchema.safeParse(candidate);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: "custom" } as never);
      return z.NEVER;
    }
    return parsed.data;
  })
  .meta({
    description:
      "An alert rule: { kind: slo_burn | latency_threshold | market_price | market_subsidy, name, severity, params, for, keep_firing_for, labels, annotations, no_data } (see core/alerts/rules.ts)",
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

/** An slo_burn rule must name an SLO of the same tenant. */
async function checkReferences(tenant: TenantScope, rule: AlertRule) {
  if (rule.kind === "slo_burn" && !(await tenant.get(slos, rule.params.sloId))) {
    throw new ApiError("validation_failed", "invalid request: body.params.sloId: no such SLO", {
      details: [{ path: "body.params.sloId", message: "no such SLO", code: "invalid" }],
    });
  }
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
  const rule = { ...c.req.valid("json"), id } as AlertRule;
  await checkReferences(tenant, rule);
  const nowMs = c.var.deps.now();
  const row = await tenant.insert(alertRules, {
    id,
    kind: rule.kind,
    rule,
    enabled: true,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
  });
  return c.json(present(row), 201);
};

const listRulesRoute = createRoute({
  ...common,
  method: "get",
  path: "/",
  summary: "List the tenant's alert rules",
  middleware: [requireScope("read")] as const,
  responses: {
    200: json(z.object({ data: z.array(storedRule) }), "The rules, newest first"),
    ...securedErrorResponses(),
  },
});
const listRules: RouteHandler<typeof listRulesRoute, AppEnv> = async (c) => {
  const rows = await c.var.tenant.list(alertRules, {
    orderBy: desc(alertRules.createdAtMs),
    limit: 1000,
  });
  return c.json({ data: rows.map(present) }, 200);
};

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
  summary: "Replace an alert rule (its alerts keep their state while the labels stay the same)",
  middleware: [requireScope("write")] as const,
  request: {
    params: ruleIdParams,
    query: z.object({ enabled: z.enum(["true", "false"]).optional() }),
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
  const { enabled } = c.req.valid("query");
  const tenant = c.var.tenant;
  const rule = { ...c.req.valid("json"), id } as AlertRule;
  await checkReferences(tenant, rule);
  const row = await tenant.update(alertRules, id, {
    kind: rule.kind,
    rule,
    updatedAtMs: c.var.deps.now(),
    ...(enabled === undefined ? {} : { enabled: enabled === "true" }),
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
