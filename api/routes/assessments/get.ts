import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { assessments } from "../../../core/db/schema/index.ts";
import { ApiError } from "../../../core/http/errors.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import {
  bearerSecurity,
  errorResponses,
  json,
  securedErrorResponses,
} from "../../openapi/responses.ts";
import { presentAssessment } from "./present.ts";
import { assessmentIdParams, storedAssessmentSchema } from "./schema.ts";

export const getAssessmentRoute = createRoute({
  method: "get",
  path: "/{id}",
  summary: "Get a stored assessment",
  tags: ["Assessments"],
  security: bearerSecurity,
  middleware: [requireScope("read")] as const,
  request: { params: assessmentIdParams },
  responses: {
    200: json(storedAssessmentSchema, "The assessment"),
    ...securedErrorResponses(),
    ...errorResponses(400, 404),
  },
});

export const getAssessment: RouteHandler<typeof getAssessmentRoute, AppEnv> = async (c) => {
  const row = await c.var.tenant.get(assessments, c.req.valid("param").id);
  if (!row) throw new ApiError("not_found", "assessment not found");
  return c.json(presentAssessment(row), 200);
};
