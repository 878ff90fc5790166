import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../context.ts";
import { validationHook } from "../../openapi/validation-hook.ts";
import { benchmarkAssessment, benchmarkAssessmentRoute } from "./benchmark.ts";
import { createAssessment, createAssessmentRoute } from "./create.ts";
import { getAssessment, getAssessmentRoute } from "./get.ts";
import { listAssessments, listAssessmentsRoute } from "./list.ts";

/** `/v1/assessments`: assess homes and keep the results (tenant-owned). */
export const assessmentRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(createAssessmentRoute, createAssessment)
  .openapi(listAssessmentsRoute, listAssessments)
  .openapi(getAssessmentRoute, getAssessment)
  .openapi(benchmarkAssessmentRoute, benchmarkAssessment);
