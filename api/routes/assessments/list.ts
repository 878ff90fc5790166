import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { z } from "zod";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import {
  bearerSecurity,
  errorResponses,
  json,
  securedErrorResponses,
} from "../../openapi/responses.ts";
import { presentSummary } from "./present.ts";
import { latestQuery } from "./queries.ts";
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
  const rows = await latestQuery(c.var.tenant).all({ limit: c.req.valid("query").limit });
  return c.json({ data: rows.map(presentSummary) }, 200);
};
