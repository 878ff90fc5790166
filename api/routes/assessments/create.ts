import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { newId } from "../../../core/auth/ids.ts";
import { homeFigures } from "../../../core/benchmark/figures.ts";
import { statIncrements } from "../../../core/benchmark/store.ts";
import { libsqlClient } from "../../../core/db/database.ts";
import { type AssessmentRow, assessments } from "../../../core/db/schema/index.ts";
import { assess, ENGINE_VERSION, EnergyInputError } from "../../../core/energy/index.ts";
import { latestPrices } from "../../../core/market/prices.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { setLocation } from "../../conventions/location.ts";
import { ApiError } from "../../errors/api-error.ts";
import { bearerSecurity, errorResponses, securedErrorResponses } from "../../openapi/responses.ts";
import { jsonText, utf8 } from "./json-text.ts";
import { packageColumns, presentFull, presentSummary, presentSummaryView } from "./present.ts";
import {
  assessmentBody,
  assessmentSummaryViewSchema,
  createAssessmentQuery,
  storedAssessmentSchema,
} from "./schema.ts";
import { inlineBodyCodec } from "./stored.ts";

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
  let result: ReturnType<typeof assess>;
  try {
    result = assess(input, { prices, now: new Date(nowMs), uncertainty: uncertainty === "true" });
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
  const figures = homeFigures(input, result);
  const identity = { id: newId("asm"), createdAtMs: nowMs, engineVersion: ENGINE_VERSION };
  // Figures first: presenting rounds the result's numbers in place.
  const row: Omit<AssessmentRow, "tenantId" | "body" | "listItem"> = {
    ...identity,
    input,
    result: null,
    climateZone: result.location.zone,
    buildingType: input.buildingType,
    constructionYear: input.constructionYear,
    heatedFloorAreaM2: result.heatedFloorAreaM2,
    primaryEnergyKwhM2: result.primaryEnergy.kwhM2,
    energyClass: result.rating.energyClass,
    ratio: result.rating.ratio,
    annualCostEur: result.cost.annualEur,
    co2KgM2: result.co2.kenakKgM2,
    packagePrimaryEnergyKwhM2: figures.packagePrimaryEnergyKwhM2,
    packageEnergyClass: figures.packageEnergyClass,
    ...packageColumns(result),
  };
  // The full response is serialised once: stored (compressed) and, for the full view, answered.
  const full = utf8(JSON.stringify(presentFull(identity, input, result)));
  const body = await (c.var.deps.bodyCodec ?? inlineBodyCodec).encode(full);
  // The row and the tenant's cohort statistics in one transaction: they never disagree.
  await libsqlClient(tenant.db).batch(
    [
      tenant.insertStatement(assessments, {
        ...row,
        body: Buffer.from(body.buffer, body.byteOffset, body.byteLength),
        listItem: JSON.stringify(presentSummary(row)),
      }),
      ...statIncrements(tenant.tenantId, [figures], nowMs),
    ],
    "write",
  );
  c.var.deps.metrics.assessed({
    energyClass: result.rating.energyClass,
    climateZone: result.location.zone,
  });
  setLocation(c, identity.id);
  return jsonText(
    c,
    view === "summary" ? JSON.stringify(presentSummaryView(row)) : full,
    201,
  ) as never;
};
