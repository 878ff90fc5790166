import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { LatencyQueryTooLarge, latencyBetween } from "../../../core/latency/window-queries.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { ApiError } from "../../errors/api-error.ts";
import { bearerSecurity, json } from "../../openapi/responses.ts";
import { fromNotBeforeTo } from "../shared/query.ts";
import { securedErrors } from "../shared/schema.ts";
import { latencyQuery, latencySchema, maxRangeMs } from "./schema.ts";

export const getLatencyRoute = createRoute({
  method: "get",
  path: "/",
  summary:
    "Latency quantiles of a service or route over a time range, from stored minute and hour histograms",
  tags: ["Latency"],
  security: bearerSecurity,
  middleware: [requireScope("read")] as const,
  request: { query: latencyQuery },
  responses: { 200: json(latencySchema, "Quantiles and counts"), ...securedErrors(400) },
});

export const getLatency: RouteHandler<typeof getLatencyRoute, AppEnv> = async (c) => {
  const query = c.req.valid("query");
  const toMs = query.to ?? c.var.deps.now();
  const fromMs = query.from ?? toMs - 3_600_000;
  if (fromMs >= toMs) throw fromNotBeforeTo();
  if (toMs - fromMs > maxRangeMs) {
    throw new ApiError("validation_failed", "invalid request: the range may span at most 40 days", {
      details: [
        { path: "query.from", message: "the range may span at most 40 days", code: "custom" },
      ],
    });
  }
  // Request telemetry of the platform's services is shared, not tenant-owned: any key may read it.
  const maxBuckets = c.var.deps.settings.LATENCY_MAX_BUCKETS;
  try {
    const report = await latencyBetween(
      c.var.tenant.db,
      { service: query.service, route: query.route, fromMs, toMs },
      { maxBuckets },
    );
    return c.json(report, 200);
  } catch (error) {
    if (!(error instanceof LatencyQueryTooLarge)) throw error;
    const message = `the range holds more than ${maxBuckets} stored buckets of this service; narrow it or name a route`;
    throw new ApiError("validation_failed", `invalid request: ${message}`, {
      details: [{ path: "query.from", message, code: "custom" }],
    });
  }
};
