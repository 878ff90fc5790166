import { z } from "zod";
import { overflowRoute } from "../../../core/events/aggregate.ts";
import { instant } from "../shared/query.ts";

/** The widest range one query may span. */
export const maxRangeMs = 40 * 86_400_000;

export const latencyQuery = z.object({
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

export const latencySchema = z
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
