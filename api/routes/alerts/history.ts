/**
 * `GET /v1/alerts/history`: the tenant's alert episodes (one per alert that fired: when it fired and
 * resolved, its labels and last value) with the rule's name and definition as they were — for SLO
 * burn alerts, the SLO's too — so the history of a deleted or changed SLO or rule stays. Kept for the
 * stream worker's `STREAM_ALERT_HISTORY_RETENTION_DAYS` (30 by default) after resolution. Time range
 * and keyset (cursor) paging, newest first by firing time.
 */
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { and, desc, eq, gte, isNull, lt, or, type SQL } from "drizzle-orm";
import { z } from "zod";
import { keysetPage, olderThan } from "../../../core/db/keyset.ts";
import { type AlertHistoryRow, alertHistory } from "../../../core/db/schema/index.ts";
import { eventTimestamp } from "../../../core/events/timestamp.ts";
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

const instant = z
  .string()
  .transform((v) => (/^\d+$/.test(v) ? Number(v) : v))
  .pipe(eventTimestamp);

const historyQuery = z.object({
  from: instant
    .optional()
    .describe("episodes still firing at or after this time (RFC 3339 or epoch ms)"),
  to: instant.optional().describe("episodes that fired before this time (exclusive)"),
  status: z.enum(["firing", "resolved"]).optional(),
  ruleId: z.string().max(128).optional(),
  sloId: z.string().max(128).optional().describe("episodes of this SLO's burn-rate tiers"),
  ...pageQueryFields,
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const historyEntry = z
  .object({
    id: z.string().describe("the episode: the alert's fingerprint and its firing time"),
    alertId: z.string().describe("the alert's fingerprint (as in /v1/alerts)"),
    ruleId: z.string(),
    ruleName: z.string().describe("the rule's name when the alert fired"),
    rule: z
      .record(z.string(), z.unknown())
      .describe("the rule's definition when the alert fired (as /v1/alert-rules shows rules)"),
    slo: z
      .object({ id: z.string(), definition: z.record(z.string(), z.unknown()) })
      .nullable()
      .describe("SLO burn alerts: the SLO's definition when the alert fired"),
    severity: z.string(),
    status: z.enum(["firing", "resolved"]),
    labels: z.record(z.string(), z.string()),
    annotations: z.record(z.string(), z.string()),
    value: z.number().nullable(),
    activeAt: z.iso.datetime(),
    firedAt: z.iso.datetime(),
    resolvedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "AlertHistoryEntry" });

const present = (row: AlertHistoryRow) => ({
  id: row.id,
  alertId: row.fingerprint,
  ruleId: row.ruleId,
  ruleName: row.ruleName,
  rule: row.rule.rule as unknown as Record<string, unknown>,
  slo: row.rule.slo
    ? { id: row.rule.slo.id, definition: row.rule.slo.definition as Record<string, unknown> }
    : null,
  severity: row.severity,
  status: row.status as "firing" | "resolved",
  labels: row.labels,
  annotations: row.annotations,
  value: row.value,
  activeAt: new Date(row.activeAtMs).toISOString(),
  firedAt: new Date(row.firedAtMs).toISOString(),
  resolvedAt: iso(row.resolvedAtMs),
});

export const alertHistoryRoute = createRoute({
  tags: ["Alerts"],
  security: bearerSecurity,
  method: "get",
  path: "/history",
  summary: "Alert history: every episode that fired, with the rule (and SLO) as it was",
  description:
    "One entry per alert episode that fired, kept after its rule or SLO is changed or deleted, for the stream worker's retention (STREAM_ALERT_HISTORY_RETENTION_DAYS, default 30 days after resolution). `from`/`to` select episodes overlapping the range (fired before `to`, not resolved before `from`). Newest first by firing time; pages follow `nextCursor`.",
  middleware: [requireScope("read")] as const,
  request: { query: historyQuery },
  responses: {
    200: json(pageSchema(historyEntry, "AlertHistoryPage"), "One page of episodes, newest first"),
    ...securedErrorResponses(),
    ...errorResponses(400),
  },
});

export const listAlertHistory: RouteHandler<typeof alertHistoryRoute, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  if (q.from !== undefined && q.to !== undefined && q.from >= q.to) {
    throw new ApiError("validation_failed", "invalid request: query.from: must be before to", {
      details: [{ path: "query.from", message: "must be before to", code: "custom" }],
    });
  }
  const where = and(
    q.to !== undefined ? lt(alertHistory.firedAtMs, q.to) : undefined,
    q.from !== undefined
      ? or(isNull(alertHistory.resolvedAtMs), gte(alertHistory.resolvedAtMs, q.from))
      : undefined,
    q.status ? eq(alertHistory.status, q.status) : undefined,
    q.ruleId ? eq(alertHistory.ruleId, q.ruleId) : undefined,
    // SLO burn rules are `slo:<sloId>:<tier>`: a range of rule ids (no LIKE wildcards to escape).
    q.sloId
      ? and(gte(alertHistory.ruleId, `slo:${q.sloId}:`), lt(alertHistory.ruleId, `slo:${q.sloId};`))
      : undefined,
    olderThan(alertHistory.firedAtMs, alertHistory.id, q.cursor),
  );
  const rows = await c.var.tenant.list(alertHistory, {
    ...(where ? { where: where as SQL } : {}),
    orderBy: [desc(alertHistory.firedAtMs), desc(alertHistory.id)],
    limit: q.limit + 1,
  });
  const page = keysetPage(rows, q.limit, (r) => ({ tsMs: r.firedAtMs, id: r.id }));
  return c.json(pageBody(page, present), 200);
};
