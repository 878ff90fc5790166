import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { cohortStatistics } from "../../../core/benchmark/benchmark.ts";
import { areaBand, type Cohort, constructionPeriod } from "../../../core/benchmark/cohort.ts";
import { libsqlClient } from "../../../core/db/database.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import {
  bearerSecurity,
  errorResponses,
  json,
  securedErrorResponses,
} from "../../openapi/responses.ts";
import { benchmarksQuery, benchmarksResponseSchema } from "./schema.ts";
import { statisticsScope } from "./store.ts";

export const listBenchmarksRoute = createRoute({
  method: "get",
  path: "/",
  summary:
    "Statistics of a cohort of similar homes (falls back to a broader cohort when too small)",
  tags: ["Benchmarks"],
  security: bearerSecurity,
  middleware: [requireScope("read")] as const,
  request: { query: benchmarksQuery },
  responses: {
    200: json(benchmarksResponseSchema, "The cohort's statistics"),
    ...securedErrorResponses(),
    ...errorResponses(400),
  },
});

export const listBenchmarks: RouteHandler<typeof listBenchmarksRoute, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  const filter: Cohort = {};
  if (q.zone) filter.zone = q.zone;
  if (q.buildingType) filter.buildingType = q.buildingType;
  const period =
    q.period ??
    (q.constructionYear === undefined ? undefined : constructionPeriod(q.constructionYear));
  if (period) filter.period = period;
  const band =
    q.areaBand ?? (q.heatedFloorAreaM2 === undefined ? undefined : areaBand(q.heatedFloorAreaM2));
  if (band) filter.areaBand = band;
  const tenant = c.var.tenant;
  const answer = await cohortStatistics(
    libsqlClient(tenant.db),
    statisticsScope(q.against, tenant.tenantId),
    filter,
    { cache: c.var.deps.benchmarkCache, nowMs: c.var.deps.now() },
  );
  return c.json({ against: q.against, ...answer }, 200);
};
