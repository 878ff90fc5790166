import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../context.ts";
import { validationHook } from "../../openapi/validation-hook.ts";
import { getLatency, getLatencyRoute } from "./get.ts";

/** `/v1/latency`: latency quantiles of the platform's services from the stored histograms. */
export const latencyRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(
  getLatencyRoute,
  getLatency,
);
