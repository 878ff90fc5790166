import { createRoute, OpenAPIHono, type RouteHandler } from "@hono/zod-openapi";
import { z } from "zod";
import { overflowRoute } from "../../../core/events/aggregate.ts";
import { eventTimestamp } from "../../../core/events/timestamp.ts";
import { LatencyQueryTooLarge, latencyBetween } from "../../../core/latency/window-queries.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { ApiError } from "../../errors/api-error.ts";
import {
  bearerSecurity,
  errorResponses,
  json,
  securedErrorResponses,
} from "../../openapi/responses.ts";
import { validationHook } from "../../openapi/validation-hook.ts";

const maxRangeMs = 40 * 86_400_000;

/** RFC 3339 or epoch milliseconds in a query string. */
const instant = z
  .string()
  .transform((v) => (/^\d+$/.test(v) ? Number(v) : v))
  .pipe(eventTimestamp);

const latencyQuery = z.object({
  service: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, "must be a service name"),
  route: z
    .string()
    .regex(
      new RegExp(`^(/[^\\s?#]*|${overflowRoute})$`),
      `must be a route pattern such as /v1/x/:id, or ${overflowRoute} (routes beyond the service's series cap)`,
    )
    .max(200)
    .optional(),
  from: instant.optional().describe("RFC 3339 or epoch ms; default: one hour before `to`"),
  to: instant.optional().describe("RFC 3339 or epoch ms; default: now"),
});

const latencySchema = z
  .object({
    service: z.string(),
    route: z.string().nullable(),
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    count: z.number().int(),
    good: z.number().int(),
    p50: z.number().nullable(),
    p90: z.number().nullable(),
    p95: z.number().nullable(),
    p99: z.number().nullable(),
    p999: z.number().nullable(),
    max: z.number().nullable(),
    mean: z.number().nullable(),
    resolution: z.enum(["minute", "hour", "minute+hour"]),
  })
  .meta({
    id: "Latency",
    description: "Quantiles in milliseconds from merged HDR histograms (±0.1%).",
  });

const latencyRoute = createRoute({
  method: "get",
  path: "/",
  summary:
    "Latency quantiles of a service or route over a time range, from stored minute and hour histograms",
  tags: ["Latency"],
  security: bearerSecurity,
  middleware: [requireScope("read")] as const,
  request: { query: latencyQuery },
  responses: {
    200: json(latencySchema, "Quantiles and counts"),
    ...securedErrorResponses(),
    ...errorResponses(400),
  },
});

const getLatency: RouteHandler<typeof latencyRoute, AppEnv> = async (c) => {
  const query = c.req.valid("query");
  const toMs = query.to ?? c.var.deps.now();
  const fromMs = query.from ?? toMs - 3_600_000;
  if (fromMs >= toMs)
    throw new ApiError("validation_failed", "invalid request: query.from: must be before to", {
      details: [{ path: "query.from", message: "must be before to", code: "custom" }],
    });
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

/** `/v1/latency` */
export const latencyRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(
  latencyRoute,
  getLatency,
);
