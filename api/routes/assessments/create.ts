import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { newTimeOrderedId } from "../../../core/auth/ids.ts";
import { statIncrements } from "../../../core/benchmark/store.ts";
import { libsqlClient } from "../../../core/db/database.ts";
import { assessments } from "../../../core/db/schema/index.ts";
import { EnergyInputError } from "../../../core/energy/index.ts";
import { latestPrices } from "../../../core/market/prices.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { setLocation } from "../../conventions/location.ts";
import { ApiError } from "../../errors/api-error.ts";
import { bearerSecurity, errorResponses, securedErrorResponses } from "../../openapi/responses.ts";
import { jsonText } from "./json-text.ts";
import { inProcessAssessor, type PreparedForStorage } from "./prepare.ts";
import {
  assessmentBody,
  assessmentSummaryViewSchema,
  createAssessmentQuery,
  storedAssessmentSchema,
} from "./schema.ts";

export const createAssessmentRoute = createRoute({
  method: "post",
  path: "/",
  summary: "Assess a home: KENAK class, needs, cost, upgrade packages and Exoikonomo eligibility",
  description:
    "Runs the engine, stores the response and answers it. `GET /v1/assessments/{id}` later returns the same bytes (per view), whatever the engine does in between.",
  tags: ["Assessments"],
  security: bearerSecurity,
  middleware: [requireScope("write")] as const,
  request: {
    query: createAssessmentQuery,
    body: { required: true, content: { "application/json": { schema: assessmentBody } } },
  },
  responses: {
    201: {
      description: "The stored assessment: the full view, or the summary view with `?view=summary`",
      content: {
        "application/json": { schema: storedAssessmentSchema.or(assessmentSummaryViewSchema) },
      },
    },
    ...securedErrorResponses(),
    ...errorResponses(400, 503),
  },
});

export const createAssessment: RouteHandler<typeof createAssessmentRoute, AppEnv> = async (c) => {
  const input = c.req.valid("json");
  const { view, uncertainty } = c.req.valid("query");
  const nowMs = c.var.deps.now();
  const tenant = c.var.tenant;
  // Market prices are shared (public retail prices); the home's prefecture picks a regional price.
  const prices = await latestPrices(tenant.db, input.location.prefecture);
  const assessor = c.var.deps.assessor ?? inProcessAssessor;
  let prepared: PreparedForStorage;
  try {
    prepared = await assessor.prepare({
      input,
      prices,
      id: newTimeOrderedId("asm", nowMs),
      nowMs,
      uncertainty: uncertainty === "true",
    });
  } catch (error) {
    if (error instanceof EnergyInputError) {
      const details = error.issues.map((i) => ({
        path: ["body", ...i.path.map(String)].join("."),
        message: i.message,
        code: "invalid",
      }));
      throw new ApiError(
        "validation_failed",
        `invalid request: ${details.map((d) => `${d.path}: ${d.message}`).join("; ")}`,
        { details },
      );
    }
    throw error;
  }
  const { columns, body } = prepared;
  // The row and the tenant's cohort statistics in one transaction: they never disagree.
  await libsqlClient(tenant.db).batch(
    [
      tenant.insertStatement(assessments, {
        ...columns,
        input,
        body: Buffer.from(body.buffer, body.byteOffset, body.byteLength),
        listItem: prepared.listItem,
      }),
      ...statIncrements(tenant.tenantId, [prepared.figures], nowMs),
    ],
    "write",
  );
  c.var.deps.metrics.assessed({
    energyClass: columns.energyClass,
    climateZone: columns.climateZone,
  });
  setLocation(c, columns.id);
  return jsonText(c, view === "summary" ? prepared.summary : prepared.full, 201) as never;
};
