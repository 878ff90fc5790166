import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../context.ts";
import { json } from "../../openapi/responses.ts";
import { presentAlert } from "../alerts/present.ts";
import { alertIdParams, alertSchema } from "../alerts/schema.ts";
import { acknowledgeAs } from "../alerts/store.ts";
import { notFound } from "../shared/rows.ts";
import { securedErrors } from "../shared/schema.ts";
import { subscriberOperation } from "./schema.ts";
import { wasNotified } from "./store.ts";

export const acknowledgeAlertRoute = createRoute({
  ...subscriberOperation,
  method: "post",
  path: "/alerts/{id}/acknowledge",
  summary: "Acknowledge an alert this token was notified of (idempotent; 409 once it has resolved)",
  request: { params: alertIdParams },
  responses: { 200: json(alertSchema, "The alert"), ...securedErrors(400, 404, 409) },
});

export const acknowledgeAlert: RouteHandler<typeof acknowledgeAlertRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const { tenant, subscriber } = c.var;
  if (!(await wasNotified(tenant, subscriber, id))) throw notFound("alert");
  const row = await acknowledgeAs(tenant, id, c.var.deps.now(), subscriber.tokenId);
  return c.json(presentAlert(row), 200);
};
