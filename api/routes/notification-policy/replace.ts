import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { newId } from "../../../core/auth/ids.ts";
import { notificationPolicies } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { updateWhile, writeUnderPreconditions } from "../../conventions/preconditions.ts";
import { json } from "../../openapi/responses.ts";
import { jsonBody, securedErrors } from "../shared/schema.ts";
import { policyBody, policyOperation, policySchema } from "./schema.ts";
import { currentPolicy, policyTarget } from "./store.ts";

export const replacePolicyRoute = createRoute({
  ...policyOperation,
  method: "put",
  path: "/",
  summary: "Replace the tenant's notification policy (omitted fields take their defaults)",
  middleware: [requireScope("write")] as const,
  request: { body: jsonBody(policyBody) },
  responses: { 200: json(policySchema, "The policy as stored"), ...securedErrors(400, 412) },
});

/**
 * One policy per tenant: an upsert on the tenant. Under preconditions: an update of the row evaluated
 * while it is unchanged, or, where the defaults were evaluated, an insert only while there is still
 * no row.
 */
export const replacePolicy: RouteHandler<typeof replacePolicyRoute, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const tenant = c.var.tenant;
  const values = {
    route: body.route,
    inhibitRules: body.inhibitRules,
    updatedAtMs: c.var.deps.now(),
  };
  const row = await writeUnderPreconditions(c, policyTarget, async (at) => {
    if (!at.conditional)
      return tenant.upsert(
        notificationPolicies,
        { id: newId("pol"), ...values },
        [notificationPolicies.tenantId],
        values,
      );
    if (at.current)
      return updateWhile(tenant, notificationPolicies, at.current.id, at.unchanged, values);
    const [inserted] = await tenant.db
      .insert(notificationPolicies)
      .values({ id: newId("pol"), tenantId: tenant.tenantId, ...values })
      .onConflictDoNothing({ target: notificationPolicies.tenantId })
      .returning();
    return inserted;
  });
  return c.json(currentPolicy(row), 200);
};
