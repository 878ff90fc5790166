import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../context.ts";
import { validationHook } from "../../openapi/validation-hook.ts";
import { listBenchmarks, listBenchmarksRoute } from "./list.ts";

/** `/v1/benchmarks`: cohort statistics. */
export const benchmarkRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(
  listBenchmarksRoute,
  listBenchmarks,
);
