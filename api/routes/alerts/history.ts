/**
 * `GET /v1/alerts/history`: the tenant's alert episodes (one per alert that fired: when it fired and
 * resolved, its labels and last value) with the rule's name and definition as they were — for SLO
 * burn alerts, the SLO's too — so the history of a deleted or changed SLO or rule stays. Kept for the
 * stream worker's `STREAM_ALERT_HISTORY_RETENTION_DAYS` (30 by default) after resolution. Time range
 * and keyset (cursor) paging, newest first by firing time.
 */
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { and, desc, eq, gte, isNull, lt, or, type SQL } from "drizzle-orm";
import { keysetPage, olderThan } from "../../../core/db/keyset.ts";
import { alertHistory } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { pageBody } from "../../conventions/pagination.ts";
import { json } from "../../openapi/responses.ts";
import { fromNotBeforeTo } from "../shared/query.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentHistoryEntry } from "./present.ts";
import { alertOperation, historyPageSchema, historyQuery } from "./schema.ts";

export const alertHistoryRoute = createRoute({
  ...alertOperation,
  method: "get",
  path: "/history",
  summary: "Alert history: every episode that fired, with the rule (and SLO) as it was",
  description:
    "One entry per alert episode that fired, kept after its rule or SLO is changed or deleted, for the stream worker's retention (STREAM_ALERT_HISTORY_RETENTION_DAYS, default 30 days after resolution). `from`/`to` select episodes overlapping the range (fired before `to`, not resolved before `from`). Newest first by firing time; pages follow `nextCursor`.",
  middleware: [requireScope("read")] as const,
  request: { query: historyQuery },
  responses: {
    200: json(historyPageSchema, "One page of episodes, newest first"),
    ...securedErrors(400),
  },
});

export const listAlertHistory: RouteHandler<typeof alertHistoryRoute, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  if (q.from !== undefined && q.to !== undefined && q.from >= q.to) throw fromNotBeforeTo();
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
  return c.json(pageBody(page, presentHistoryEntry), 200);
};
