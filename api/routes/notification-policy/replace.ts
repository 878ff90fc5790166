import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { newId } from "../../../core/auth/ids.ts";
import { notificationPolicies } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { json } from "../../openapi/responses.ts";
import { jsonBody, securedErrors } from "../shared/schema.ts";
import { presentPolicy } from "./present.ts";
import { policyBody, policyOperation, policySchema } from "./schema.ts";

export const replacePolicyRoute = createRoute({
  ...policyOperation,
  method: "put",
  path: "/",
  summary: "Replace the tenant's notification policy (omitted fields take their defaults)",
  middleware: [requireScope("write")] as const,
  request: { body: jsonBody(policyBody) },
  responses: { 200: json(policySchema, "The policy as stored"), ...securedErrors(400) },
});

/** One policy per tenant: an upsert on the tenant. */
export const replacePolicy: RouteHandler<typeof replacePolicyRoute, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const values = {
    route: body.route,
    inhibitRules: body.inhibitRules,
    updatedAtMs: c.var.deps.now(),
  };
  const row = await c.var.tenant.upsert(
    notificationPolicies,
    { id: newId("pol"), ...values },
    [notificationPolicies.tenantId],
    values,
  );
  return c.json(presentPolicy(row.route, row.inhibitRules, row.updatedAtMs), 200);
};
