import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { desc } from "drizzle-orm";
import { z } from "zod";
import { assessments } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import {
  bearerSecurity,
  errorResponses,
  json,
  securedErrorResponses,
} from "../../openapi/responses.ts";
import { presentSummary } from "./present.ts";
import { assessmentSummarySchema, listAssessmentsQuery } from "./schema.ts";

export const listAssessmentsRoute = createRoute({
  method: "get",
  path: "/",
  summary: "The tenant's latest assessments (summaries)",
  tags: ["Assessments"],
  security: bearerSecurity,
  middleware: [requireScope("read")] as const,
  request: { query: listAssessmentsQuery },
  responses: {
    200: json(
      z.object({ data: z.array(assessmentSummarySchema) }).meta({ id: "AssessmentList" }),
      "Newest first",
    ),
    ...securedErrorResponses(),
    ...errorResponses(400),
  },
});

export const listAssessments: RouteHandler<typeof listAssessmentsRoute, AppEnv> = async (c) => {
  const rows = await c.var.tenant.list(assessments, {
    orderBy: desc(assessments.createdAtMs),
    limit: c.req.valid("query").limit,
  });
  return c.json({ data: rows.map(presentSummary) }, 200);
};
