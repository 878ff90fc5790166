import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { notificationPolicies } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { json, securedErrorResponses } from "../../openapi/responses.ts";
import { policyOperation, policySchema } from "./schema.ts";
import { currentPolicy } from "./store.ts";

export const getPolicyRoute = createRoute({
  ...policyOperation,
  method: "get",
  path: "/",
  summary: "The tenant's notification policy (the defaults when none was set)",
  middleware: [requireScope("read")] as const,
  responses: { 200: json(policySchema, "The policy"), ...securedErrorResponses() },
});

export const getPolicy: RouteHandler<typeof getPolicyRoute, AppEnv> = async (c) => {
  const [row] = await c.var.tenant.list(notificationPolicies, { limit: 1 });
  return c.json(currentPolicy(row), 200);
};
