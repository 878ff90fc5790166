/**
 * PartialAggregate: what stage 1 produces to `telemetry.aggregates.v1` (key = service). One message
 * covers the events of one (service, route, minute) that one stage-1 transaction consumed; several
 * partials of the same minute add up (counts add, HDR histograms merge losslessly), so stage 2 never
 * needs them to be complete or in order.
 */
import { z } from "zod";

export const aggregateBucketMs = 60_000;

/**
 * The route under which stage 2 stores the events of a service's routes beyond its series cap
 * (STREAM_MAX_ROUTES_PER_SERVICE). Real routes start with '/', so it never collides with one.
 */
export const overflowRoute = "__other__";

export const partialAggregateSchema = z.strictObject({
  v: z.literal(1),
  service: z.string().min(1).max(100),
  route: z.string().min(1).max(200),
  /** Start of the event-time minute, epoch ms, a multiple of 60,000. */
  bucketStartMs: z
    .number()
    .int()
    .refine((ms) => ms % aggregateBucketMs === 0, "must be a multiple of 60000"),
  total: z.number().int().min(1),
  /** Events with status < 500. */
  good: z.number().int().min(0),
  /** For each latency threshold in use, ascending: [threshold ms, events with durationMs ≤ threshold]. */
  goodWithin: z
    .array(z.tuple([z.number().int().min(1).max(600_000), z.number().int().min(0)]))
    .max(64)
    .refine(
      (pairs) => pairs.every((p, i) => i === 0 || (pairs[i - 1] as [number, number])[0] < p[0]),
      "thresholds must ascend without repeats",
    ),
  /** HDR histogram of durations in µs, V2 compressed base64. */
  histogram: z.string().startsWith("HISTF"),
  /** Whether the watermark had passed the end of the minute: no later partial is expected. */
  closed: z.boolean(),
});

export type PartialAggregate = z.output<typeof partialAggregateSchema>;

export const bucketStart = (tsMs: number, bucketMs = aggregateBucketMs) =>
  tsMs - (((tsMs % bucketMs) + bucketMs) % bucketMs);

/**
 * Counts per latency threshold, as [threshold ms, count] pairs in ascending order. Kept as pairs in
 * memory: an object keyed by "1000" would make V8 allocate a dense elements array of a thousand slots.
 */
export type ThresholdCounts = readonly (readonly [number, number])[];

/** The stored JSON form, `{"100":5,"250":7}` (what SQL's json_extract reads). */
export function thresholdCountsToJson(counts: ThresholdCounts): string {
  return `{${counts.map(([t, n]) => `"${t}":${n}`).join(",")}}`;
}

export function thresholdCountsFromJson(text: string): ThresholdCounts {
  const parsed = JSON.parse(text) as Record<string, number>;
  return Object.keys(parsed)
    .map((k) => [Number(k), parsed[k] as number] as const)
    .sort((a, b) => a[0] - b[0]);
}
