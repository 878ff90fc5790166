/**
 * `/v1/alerts`: the tenant's active and recently resolved alerts, as the stream worker's evaluator
 * left them, and their acknowledgement. An acknowledged alert stays listed and in notifications
 * (marked) but no longer makes its group repeat; a new episode clears it.
 */
import { createRoute, OpenAPIHono, type RouteHandler } from "@hono/zod-openapi";
import { and, desc, eq, inArray, isNull, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { type AlertState, acknowledge } from "../../../core/alerts/evaluate.ts";
import { keysetPage, olderThan } from "../../../core/db/keyset.ts";
import { type AlertRow, alerts } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { pageBody, pageQueryFields, pageSchema } from "../../conventions/pagination.ts";
import { ApiError } from "../../errors/api-error.ts";
import {
  bearerSecurity,
  errorResponses,
  json,
  securedErrorResponses,
} from "../../openapi/responses.ts";
import { validationHook } from "../../openapi/validation-hook.ts";
import type { TenantScope } from "../../tenancy/tenant-scope.ts";
import { alertHistoryRoute, listAlertHistory } from "./history.ts";

export const alertIdParams = z.object({
  id: z.string().regex(/^[0-9a-f]{16}$/, "must be an alert fingerprint (16 hex digits)"),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const alertOut = z
  .object({
    id: z.string().describe("the alert's fingerprint"),
    ruleId: z.string(),
    status: z.enum(["pending", "firing", "resolved"]),
    labels: z.record(z.string(), z.string()),
    annotations: z.record(z.string(), z.string()),
    value: z.number().nullable(),
    activeAt: z.iso.datetime(),
    firedAt: z.iso.datetime().nullable(),
    resolvedAt: z.iso.datetime().nullable(),
    acknowledgedAt: z.iso.datetime().nullable(),
    acknowledgedBy: z.string().nullable(),
  })
  .meta({ id: "Alert" });

export const present = (row: AlertRow) => ({
  id: row.id,
  ruleId: row.ruleId,
  status: row.state.status,
  labels: { ...row.state.labels },
  annotations: { ...row.state.annotations },
  value: row.state.value,
  activeAt: new Date(row.state.activeAtMs).toISOString(),
  firedAt: iso(row.state.firedAtMs),
  resolvedAt: iso(row.state.resolvedAtMs),
  acknowledgedAt: iso(row.acknowledgedAtMs),
  acknowledgedBy: row.acknowledgedBy,
});

const common = { tags: ["Alerts"], security: bearerSecurity };

const listAlertsRoute = createRoute({
  ...common,
  method: "get",
  path: "/",
  summary: "List alerts (pending, firing, recently resolved)",
  middleware: [requireScope("read")] as const,
  request: {
    query: z.object({
      status: z
        .enum(["active", "pending", "firing", "resolved"])
        .optional()
        .describe(
          "active = pending or firing; unset: all, including recently resolved (15 min; older: /v1/alerts/history)",
        ),
      ruleId: z.string().max(128).optional(),
      ...pageQueryFields,
    }),
  },
  responses: {
    200: json(pageSchema(alertOut, "AlertPage"), "The alerts, newest episode first"),
    ...securedErrorResponses(),
    ...errorResponses(400),
  },
});
/**
 * Pages are keyed by when the alert's episode began (`activeAt`, fixed for the episode, unlike the row's
 * update time, which moves with every evaluation), then id: alerts that begin during a walk land
 * before its cursor, so a walk sees no duplicate and no gap.
 */
const activeAtMs = sql<number>`json_extract(${alerts.state}, '$.activeAtMs')`;

const listAlerts: RouteHandler<typeof listAlertsRoute, AppEnv> = async (c) => {
  const { status, ruleId, limit, cursor } = c.req.valid("query");
  const where = and(
    status === "active"
      ? inArray(alerts.status, ["pending", "firing"])
      : status
        ? eq(alerts.status, status)
        : undefined,
    ruleId ? eq(alerts.ruleId, ruleId) : undefined,
    olderThan(activeAtMs, alerts.id, cursor),
  );
  const rows = await c.var.tenant.list(alerts, {
    ...(where ? { where } : {}),
    orderBy: [desc(activeAtMs), desc(alerts.id)],
    limit: limit + 1,
  });
  const page = keysetPage(rows, limit, (r) => ({ tsMs: r.state.activeAtMs, id: r.id }));
  return c.json(pageBody(page, present), 200);
};

const getAlertRoute = createRoute({
  ...common,
  method: "get",
  path: "/{id}",
  summary: "Get an alert",
  middleware: [requireScope("read")] as const,
  request: { params: alertIdParams },
  responses: {
    200: json(alertOut, "The alert"),
    ...securedErrorResponses(),
    ...errorResponses(400, 404),
  },
});
const getAlert: RouteHandler<typeof getAlertRoute, AppEnv> = async (c) => {
  const row = await c.var.tenant.get(alerts, c.req.valid("param").id);
  if (!row) throw new ApiError("not_found", "alert not found");
  return c.json(present(row), 200);
};

const acknowledgeRoute = createRoute({
  ...common,
  method: "post",
  path: "/{id}/acknowledge",
  summary: "Acknowledge a pending or firing alert (idempotent; 409 once it has resolved)",
  middleware: [requireScope("write")] as const,
  request: { params: alertIdParams },
  responses: {
    200: json(alertOut, "The alert"),
    ...securedErrorResponses(),
    ...errorResponses(400, 404, 409),
  },
});
const acknowledgeAlert: RouteHandler<typeof acknowledgeRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const row = await acknowledgeAs(c.var.tenant, id, c.var.deps.now(), c.var.auth.keyId);
  return c.json(present(row), 200);
};

/**
 * Acknowledges the tenant's alert `id` as `by` (an API key or subscriber token id) with the
 * evaluator's semantics, conditionally on its stored state: 404 when unknown, 409 once resolved,
 * idempotent otherwise. Returns the row as stored.
 */
export async function acknowledgeAs(
  tenant: TenantScope,
  id: string,
  nowMs: number,
  by: string,
): Promise<AlertRow> {
  const row = await tenant.get(alerts, id);
  if (!row) throw new ApiError("not_found", "alert not found");
  // The evaluator's semantics on the row's state with the API-owned acknowledgement columns.
  const state = {
    ...row.state,
    acknowledgedAtMs: row.acknowledgedAtMs,
    acknowledgedBy: row.acknowledgedBy,
  };
  const result = acknowledge([state], id, nowMs, by);
  if (!result.ok) throw new ApiError("conflict", "the alert has resolved; nothing to acknowledge");
  const acked = result.states[0] as AlertState;
  if (row.acknowledgedAtMs !== null) return row;
  // Conditional: the stream worker may have resolved the alert (or someone acknowledged it) since.
  const [updated] = await tenant.updateWhere(
    alerts,
    and(
      eq(alerts.id, id),
      isNull(alerts.acknowledgedAtMs),
      inArray(alerts.status, ["pending", "firing"]),
    ) as SQL,
    { acknowledgedAtMs: acked.acknowledgedAtMs, acknowledgedBy: acked.acknowledgedBy },
  );
  if (updated) return updated;
  const now = await tenant.get(alerts, id);
  if (!now) throw new ApiError("not_found", "alert not found");
  if (now.acknowledgedAtMs !== null) return now;
  throw new ApiError("conflict", "the alert has resolved; nothing to acknowledge");
}

export const alertRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(listAlertsRoute, listAlerts)
  // Before /{id}: "history" is not a fingerprint.
  .openapi(alertHistoryRoute, listAlertHistory)
  .openapi(getAlertRoute, getAlert)
  .openapi(acknowledgeRoute, acknowledgeAlert);
