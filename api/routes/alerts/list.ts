import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import { keysetPage, olderThan } from "../../../core/db/keyset.ts";
import { alerts } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { pageBody } from "../../conventions/pagination.ts";
import { json } from "../../openapi/responses.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentAlert } from "./present.ts";
import { alertOperation, alertPageSchema, listAlertsQuery } from "./schema.ts";

export const listAlertsRoute = createRoute({
  ...alertOperation,
  method: "get",
  path: "/",
  summary: "List alerts (pending, firing, recently resolved)",
  middleware: [requireScope("read")] as const,
  request: { query: listAlertsQuery },
  responses: {
    200: json(alertPageSchema, "The alerts, newest episode first"),
    ...securedErrors(400),
  },
});

/**
 * Pages are keyed by when the alert's episode began (`activeAt`, fixed for the episode, unlike the row's
 * update time, which moves with every evaluation), then id: alerts that begin during a walk land
 * before its cursor, so a walk sees no duplicate and no gap.
 */
const activeAtMs = sql<number>`json_extract(${alerts.state}, '$.activeAtMs')`;

export const listAlerts: RouteHandler<typeof listAlertsRoute, AppEnv> = async (c) => {
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
  return c.json(pageBody(page, presentAlert), 200);
};
