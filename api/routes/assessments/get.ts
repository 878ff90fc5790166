import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { assessments } from "../../../core/db/schema/index.ts";
import { ApiError } from "../../../core/http/errors.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { bearerSecurity, errorResponses, securedErrorResponses } from "../../openapi/responses.ts";
import { jsonText } from "./json-text.ts";
import { packageColumns, presentFull, presentSummaryView } from "./present.ts";
import {
  assessmentIdParams,
  assessmentSummaryViewSchema,
  assessmentViewQuery,
  storedAssessmentSchema,
} from "./schema.ts";
import { inlineBodyCodec } from "./stored.ts";

export const getAssessmentRoute = createRoute({
  method: "get",
  path: "/{id}",
  summary: "Get a stored assessment",
  description:
    "The same bytes `POST /v1/assessments` answered for the same view, whatever the engine version is now.",
  tags: ["Assessments"],
  security: bearerSecurity,
  middleware: [requireScope("read")] as const,
  request: { params: assessmentIdParams, query: assessmentViewQuery },
  responses: {
    200: {
      description: "The assessment: the full view, or the summary view with `?view=summary`",
      content: {
        "application/json": { schema: storedAssessmentSchema.or(assessmentSummaryViewSchema) },
      },
    },
    ...securedErrorResponses(),
    ...errorResponses(400, 404),
  },
});

export const getAssessment: RouteHandler<typeof getAssessmentRoute, AppEnv> = async (c) => {
  const row = await c.var.tenant.get(assessments, c.req.valid("param").id);
  if (!row) throw new ApiError("not_found", "assessment not found");
  const legacy = row.body === null ? row.result : null;
  if (c.req.valid("query").view === "summary") {
    const view = legacy ? { ...row, ...packageColumns(legacy) } : row;
    return jsonText(c, JSON.stringify(presentSummaryView(view)), 200) as never;
  }
  // Rows stored before bodies existed (migration 0008) are presented from their result.
  const body =
    row.body !== null
      ? await (c.var.deps.bodyCodec ?? inlineBodyCodec).decode(row.body)
      : JSON.stringify(presentFull(row, row.input, legacy as NonNullable<typeof legacy>));
  return jsonText(c, body, 200) as never;
};
