import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { json } from "../../openapi/responses.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentAlert } from "./present.ts";
import { alertIdParams, alertOperation, alertSchema } from "./schema.ts";
import { acknowledgeAs } from "./store.ts";

export const acknowledgeRoute = createRoute({
  ...alertOperation,
  method: "post",
  path: "/{id}/acknowledge",
  summary: "Acknowledge a pending or firing alert (idempotent; 409 once it has resolved)",
  middleware: [requireScope("write")] as const,
  request: { params: alertIdParams },
  responses: { 200: json(alertSchema, "The alert"), ...securedErrors(400, 404, 409) },
});

export const acknowledgeAlert: RouteHandler<typeof acknowledgeRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const row = await acknowledgeAs(c.var.tenant, id, c.var.deps.now(), c.var.auth.keyId);
  return c.json(presentAlert(row), 200);
};
