import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { alertRules } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { deleteWhile, writeUnderPreconditions } from "../../conventions/preconditions.ts";
import { securedErrors } from "../shared/schema.ts";
import { alertRuleIdParams, alertRuleOperation } from "./schema.ts";
import { alertRuleTarget } from "./store.ts";

export const deleteAlertRuleRoute = createRoute({
  ...alertRuleOperation,
  method: "delete",
  path: "/{id}",
  summary: "Delete an alert rule (its firing alerts resolve at the next evaluation)",
  middleware: [requireScope("write")] as const,
  request: { params: alertRuleIdParams },
  responses: { 204: { description: "Deleted" }, ...securedErrors(400, 404, 412) },
});

export const deleteAlertRule: RouteHandler<typeof deleteAlertRuleRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  await writeUnderPreconditions(c, alertRuleTarget(id), (at) =>
    deleteWhile(c.var.tenant, alertRules, id, at.unchanged),
  );
  return c.body(null, 204);
};
