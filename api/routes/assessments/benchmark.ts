import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { eq, sql } from "drizzle-orm";
import { benchmarkHome } from "../../../core/benchmark/benchmark.ts";
import type { BuildingType } from "../../../core/benchmark/cohort.ts";
import { libsqlClient } from "../../../core/db/database.ts";
import { assessments } from "../../../core/db/schema/index.ts";
import type { EnergyClass } from "../../../core/energy/index.ts";
import type { ClimateZone } from "../../../core/energy/reference/zones.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { ApiError } from "../../errors/api-error.ts";
import {
  bearerSecurity,
  errorResponses,
  json,
  securedErrorResponses,
} from "../../openapi/responses.ts";
import { perTenantQuery } from "../../tenancy/prepared.ts";
import type { TenantScope } from "../../tenancy/tenant-scope.ts";
import { benchmarkQuery, homeBenchmarkSchema } from "../benchmarks/schema.ts";
import { statisticsScope } from "../benchmarks/store.ts";
import { assessmentIdParams } from "./schema.ts";

export const benchmarkAssessmentRoute = createRoute({
  method: "get",
  path: "/{id}/benchmark",
  summary: "How this home compares with similar homes: percentile rank, cohort, medians, upgrade",
  tags: ["Assessments", "Benchmarks"],
  security: bearerSecurity,
  middleware: [requireScope("read")] as const,
  request: { params: assessmentIdParams, query: benchmarkQuery },
  responses: {
    200: json(homeBenchmarkSchema, "The benchmark"),
    ...securedErrorResponses(),
    ...errorResponses(400, 404),
  },
});

const figuresOf = (tenant: TenantScope) =>
  // Only the figures: the stored result (tens of kB of JSON) is not needed to rank a home.
  tenant.db
    .select({
      zone: assessments.climateZone,
      buildingType: assessments.buildingType,
      constructionYear: assessments.constructionYear,
      heatedFloorAreaM2: assessments.heatedFloorAreaM2,
      primaryEnergyKwhM2: assessments.primaryEnergyKwhM2,
      annualCostEur: assessments.annualCostEur,
      co2KgM2: assessments.co2KgM2,
      energyClass: assessments.energyClass,
      packagePrimaryEnergyKwhM2: assessments.packagePrimaryEnergyKwhM2,
      packageEnergyClass: assessments.packageEnergyClass,
    })
    .from(assessments)
    .where(tenant.where(assessments, eq(assessments.id, sql.placeholder("id"))))
    .prepare();

/** The figures query, prepared once per database handle and tenant (api/tenancy/prepared.ts). */
const figuresQuery = perTenantQuery(figuresOf);

export const benchmarkAssessment: RouteHandler<typeof benchmarkAssessmentRoute, AppEnv> = async (
  c,
) => {
  const { id } = c.req.valid("param");
  const { against } = c.req.valid("query");
  const tenant = c.var.tenant;
  const row = await figuresQuery(tenant).get({ id });
  if (!row) throw new ApiError("not_found", "assessment not found");
  const benchmark = await benchmarkHome(
    libsqlClient(tenant.db),
    statisticsScope(against, tenant.tenantId),
    {
      ...row,
      zone: row.zone as ClimateZone,
      buildingType: row.buildingType as BuildingType,
      energyClass: row.energyClass as EnergyClass,
      packageEnergyClass: row.packageEnergyClass as EnergyClass | null,
    },
    { cache: c.var.deps.benchmarkCache, nowMs: c.var.deps.now() },
  );
  return c.json({ assessmentId: id, against, ...benchmark }, 200);
};
