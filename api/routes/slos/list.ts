import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { desc } from "drizzle-orm";
import { slos } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { bearerSecurity, json, securedErrorResponses } from "../../openapi/responses.ts";
import { perTenantQuery } from "../../tenancy/prepared.ts";
import { presentSlo } from "./present.ts";
import { sloListSchema } from "./schema.ts";

export const listSlosRoute = createRoute({
  method: "get",
  path: "/",
  summary: "List the tenant's SLOs",
  tags: ["SLOs"],
  security: bearerSecurity,
  middleware: [requireScope("read")] as const,
  responses: { 200: json(sloListSchema, "The SLOs, newest first"), ...securedErrorResponses() },
});

const listQuery = perTenantQuery((tenant) =>
  tenant.db
    .select()
    .from(slos)
    .where(tenant.where(slos))
    .orderBy(desc(slos.createdAtMs))
    .limit(1000)
    .prepare(),
);

export const listSlos: RouteHandler<typeof listSlosRoute, AppEnv> = async (c) => {
  const rows = await listQuery(c.var.tenant).all();
  return c.json({ data: rows.map(presentSlo) }, 200);
};
