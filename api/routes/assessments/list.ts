import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { pageBody, pageSchema } from "../../conventions/pagination.ts";
import {
  bearerSecurity,
  errorResponses,
  json,
  securedErrorResponses,
} from "../../openapi/responses.ts";
import { jsonText } from "./json-text.ts";
import { renderedPage } from "./list-page.ts";
import { presentSummary } from "./present.ts";
import { assessmentSummarySchema, listAssessmentsQuery } from "./schema.ts";
import { latestQuery } from "./store.ts";

export const listAssessmentsRoute = createRoute({
  method: "get",
  path: "/",
  summary: "The tenant's latest assessments (summaries)",
  tags: ["Assessments"],
  security: bearerSecurity,
  middleware: [requireScope("read")] as const,
  request: { query: listAssessmentsQuery },
  responses: {
    200: json(pageSchema(assessmentSummarySchema, "AssessmentList"), "Newest first"),
    ...securedErrorResponses(),
    ...errorResponses(400),
  },
});

export const listAssessments: RouteHandler<typeof listAssessmentsRoute, AppEnv> = async (c) => {
  const query = c.req.valid("query");
  const rendered = await renderedPage(c.var.tenant, query);
  if (rendered !== undefined) {
    c.set("etag", rendered.etag);
    return jsonText(c, rendered.body, 200) as never;
  }
  // A page with rows from before stored list items: rendered from their columns.
  const page = await latestQuery(c.var.tenant, query);
  return c.json(pageBody(page, presentSummary), 200);
};
