/**
 * SLO definitions: a service (optionally some of its routes), an SLI over RequestEvents, an objective
 * and a window, and alert tiers. Default tiers follow the SRE workbook's multiwindow, multi-burn-rate
 * table (page: 2% of the budget in 1h with a 5m check, 5% in 6h with 30m; ticket: 10% in 3d with 6h),
 * and each tier's burn-rate factor is recomputed from the SLO's window length:
 *   factor = budget consumed × window length / long window   (30d: 14.4, 6, 1; 28d: 13.44, 5.6, 0.93)
 */
import { z } from "zod";
import { calendarMonth, isTimeZone } from "./calendar.ts";
import { durationMs, durationSchema } from "./durations.ts";
import { decimal, type Ratio, ratio, times, toNumber } from "./exact.ts";

export const sliSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("availability") }).describe("good: status < 500"),
  z
    .strictObject({ kind: z.literal("latency"), thresholdMs: z.number().int().min(1).max(600_000) })
    .describe("good: durationMs ≤ thresholdMs"),
]);

export const sloWindowSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("rolling"), days: z.number().int().min(1).max(90) }),
  z.strictObject({
    kind: z.literal("calendar"),
    unit: z.literal("month"),
    timeZone: z.string().refine(isTimeZone, "must be an IANA time zone such as Europe/Athens"),
  }),
]);

export const tierSchema = z
  .strictObject({
    name: z.string().min(1).max(50),
    severity: z.enum(["page", "ticket"]),
    longWindow: durationSchema,
    shortWindow: durationSchema,
    /** Share of the error budget this tier lets burn in `longWindow` before it fires. */
    budgetConsumed: z.number().gt(0).lte(1),
  })
  .refine((t) => durationMs(t.shortWindow) < durationMs(t.longWindow), {
    message: "shortWindow must be shorter than longWindow",
    path: ["shortWindow"],
  });

export type SloTier = z.output<typeof tierSchema>;

export const defaultTiers: SloTier[] = [
  {
    name: "page-fast",
    severity: "page",
    longWindow: "1h",
    shortWindow: "5m",
    budgetConsumed: 0.02,
  },
  {
    name: "page-slow",
    severity: "page",
    longWindow: "6h",
    shortWindow: "30m",
    budgetConsumed: 0.05,
  },
  { name: "ticket", severity: "ticket", longWindow: "3d", shortWindow: "6h", budgetConsumed: 0.1 },
];

export const sloDefinitionSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    description: z.string().max(1000).optional(),
    service: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,100}$/, "must be a service name as in RequestEvents"),
    /** Route patterns counted; empty: every route of the service. */
    routes: z
      .array(
        z
          .string()
          .regex(/^\/[^\s?#]*$/, "must be a route pattern such as /v1/x/:id")
          .max(200),
      )
      .max(50)
      .default([]),
    sli: sliSchema,
    objective: z.number().gt(0.5, "must be above 0.5").lt(1, "must be below 1").max(0.99999),
    window: sloWindowSchema,
    tiers: z.array(tierSchema).min(1).max(6).default(defaultTiers),
    /** A burn-rate window with fewer events neither fires nor clears a tier (low-traffic guard). */
    minEvents: z.number().int().min(1).max(1_000_000).default(20),
  })
  .refine((s) => new Set(s.tiers.map((t) => t.name)).size === s.tiers.length, {
    message: "tier names must be unique",
    path: ["tiers"],
  });

export type SloDefinition = z.output<typeof sloDefinitionSchema>;
export type SloDefinitionInput = z.input<typeof sloDefinitionSchema>;

/** The SLO window containing `nowMs`: [startMs, endMs) with its full length. */
export function sloWindowBounds(slo: Pick<SloDefinition, "window">, nowMs: number) {
  if (slo.window.kind === "rolling") {
    const lengthMs = slo.window.days * 86_400_000;
    return { startMs: nowMs - lengthMs, endMs: nowMs, lengthMs };
  }
  const { startMs, endMs } = calendarMonth(nowMs, slo.window.timeZone);
  return { startMs, endMs: nowMs, lengthMs: endMs - startMs };
}

export interface ResolvedTier extends SloTier {
  /**
   * Burn rate above which the tier fires, from budgetConsumed and the window length, rounded to 6
   * decimals for display (0.933333 for 28 days' ticket); tiers compare against `exactFactor`.
   */
  factor: number;
  /** The factor exactly: budgetConsumed (as written) × window length / long window (14/15). */
  exactFactor: Ratio;
}

export function resolveTiers(
  slo: Pick<SloDefinition, "tiers" | "window">,
  nowMs: number,
): ResolvedTier[] {
  const { lengthMs } = sloWindowBounds(slo, nowMs);
  return slo.tiers.map((tier) => {
    const exactFactor = times(
      decimal(tier.budgetConsumed),
      ratio(BigInt(lengthMs), BigInt(durationMs(tier.longWindow))),
    );
    return { ...tier, factor: roundFactor(toNumber(exactFactor)), exactFactor };
  });
}

const roundFactor = (x: number) => Math.round(x * 1e6) / 1e6;

/** The latency threshold an SLO counts against, if any (stage 1 keeps exact counts for these). */
export const latencyThresholdMs = (slo: Pick<SloDefinition, "sli">) =>
  slo.sli.kind === "latency" ? slo.sli.thresholdMs : undefined;
