import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { alerts } from "../../../core/db/schema/index.ts";
import type { AppEnv } from "../../context.ts";
import { json } from "../../openapi/responses.ts";
import { presentAlert } from "../alerts/present.ts";
import { alertIdParams, alertSchema } from "../alerts/schema.ts";
import { notFound } from "../shared/rows.ts";
import { securedErrors } from "../shared/schema.ts";
import { subscriberOperation } from "./schema.ts";
import { wasNotified } from "./store.ts";

export const getAlertRoute = createRoute({
  ...subscriberOperation,
  method: "get",
  path: "/alerts/{id}",
  summary: "An alert this token was notified of",
  request: { params: alertIdParams },
  responses: { 200: json(alertSchema, "The alert"), ...securedErrors(400, 404) },
});

export const getAlert: RouteHandler<typeof getAlertRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const { tenant, subscriber } = c.var;
  const row = (await wasNotified(tenant, subscriber, id))
    ? await tenant.get(alerts, id)
    : undefined;
  if (!row) throw notFound("alert");
  return c.json(presentAlert(row), 200);
};
