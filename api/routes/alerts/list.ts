import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import { type AlertRow, alertActiveAtMs, alerts } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { keysetList, pageBody } from "../../conventions/pagination.ts";
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
const activeAtMs = alertActiveAtMs(alerts.state);

type StatusFilter = "any" | "active" | "one";

/** One prepared list per filter shape (status: none, active, one; with or without a rule id). */
const lists = new Map<string, ReturnType<typeof keysetList<typeof alerts, AlertRow>>>();
function listFor(status: StatusFilter, byRule: boolean) {
  const key = `${status}|${byRule}`;
  let list = lists.get(key);
  if (!list) {
    const where: (SQL | undefined)[] = [
      status === "active"
        ? inArray(alerts.status, ["pending", "firing"])
        : status === "one"
          ? eq(alerts.status, sql.placeholder("status"))
          : undefined,
      byRule ? eq(alerts.ruleId, sql.placeholder("ruleId")) : undefined,
    ];
    const filter = and(...where);
    list = keysetList<typeof alerts, AlertRow>(alerts, activeAtMs, {
      ...(filter ? { where: filter } : {}),
      timeOf: (row) => row.state.activeAtMs,
    });
    lists.set(key, list);
  }
  return list;
}

export const listAlerts: RouteHandler<typeof listAlertsRoute, AppEnv> = async (c) => {
  const { status, ruleId, limit, cursor } = c.req.valid("query");
  // An empty ruleId filters nothing (as before: no rule has an empty id).
  const list = listFor(status === "active" ? "active" : status ? "one" : "any", Boolean(ruleId));
  const page = await list(
    c.var.tenant,
    { limit, cursor },
    { ...(status && status !== "active" ? { status } : {}), ...(ruleId ? { ruleId } : {}) },
  );
  return c.json(pageBody(page, presentAlert), 200);
};
