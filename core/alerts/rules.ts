/**
 * Alert rules: what to watch and when an alert is pending, firing or resolved. Four kinds, each with its
 * own parameters; the shared part (`for`, `keep_firing_for`, labels, annotations, severity) follows
 * Prometheus alerting rules. Times are milliseconds. Rules are tenant-owned by whoever stores them;
 * nothing here knows about tenants.
 */
import { z } from "zod";
import { energyCarriers } from "../events/market-event.ts";
import { durationSchema } from "../slo/durations.ts";
import { annotationsSchema, labelsSchema } from "./labels.ts";

const DAY_MS = 86_400_000;

export const severities = ["page", "ticket", "info"] as const;
export type Severity = (typeof severities)[number];

export const latencyQuantiles = ["p50", "p90", "p95", "p99", "p99.9"] as const;
export type LatencyQuantileName = (typeof latencyQuantiles)[number];
export const latencyWindows = ["1m", "5m", "1h", "1d"] as const;
export type LatencyWindow = (typeof latencyWindows)[number];

const ruleId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, "must be an id of letters, digits, . _ : -");

const holdMs = (defaultMs: number) =>
  z
    .number()
    .int()
    .min(0)
    .max(7 * DAY_MS)
    .default(defaultMs);

const base = {
  id: ruleId,
  name: z.string().trim().min(1).max(200),
  /** How long the condition must hold before a pending alert fires; 0 fires at once. */
  for: holdMs(0),
  /** How long a firing alert stays firing after its condition turned false. */
  keep_firing_for: holdMs(0),
  /**
   * What an evaluation without data means (no events, too few events, no input):
   * keep_state = neither fires nor clears (the SLO low-traffic guard); ok = the condition is false.
   */
  no_data: z.enum(["keep_state", "ok"]).default("keep_state"),
  severity: z.enum(severities),
  /** Extra labels (routing, ownership); `alertname` and `severity` come from `name` and `severity`. */
  labels: labelsSchema.refine((l) => !("alertname" in l) && !("severity" in l), {
    message: "alertname and severity are set from the rule's name and severity",
  }),
  annotations: annotationsSchema,
};

export const sloBurnParamsSchema = z.strictObject({
  sloId: z.string().min(1).max(128),
  /** The SLO's service (a label; the rule is generated from the SLO by `sloBurnRules`). */
  service: z.string().min(1).max(100),
  /** Tier name of the SLO definition; the tier's severity is the rule's. */
  tier: z.string().min(1).max(50),
});

export const latencyThresholdParamsSchema = z.strictObject({
  service: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/),
  /** A route pattern; unset: the service as a whole. */
  route: z
    .string()
    .regex(/^\/[^\s?#]*$/)
    .max(200)
    .optional(),
  quantile: z.enum(latencyQuantiles),
  window: z.enum(latencyWindows),
  thresholdMs: z.number().positive().max(3_600_000),
  /** Fewer requests in the window than this is no data. */
  minCount: z.number().int().min(1).max(1_000_000).default(1),
});

const priceThreshold = z.strictObject({
  op: z.enum(["above", "below"]),
  thresholdEurPerKwh: z.number().positive().max(10),
});
const priceChange = z.strictObject({
  op: z.literal("change_pct"),
  /** Look-back window such as 1h, 1d, 7d. */
  window: durationSchema,
  /** Minimum relative change in percent (of the price at the window's start). */
  pct: z.number().positive().max(1000),
  direction: z.enum(["rise", "fall", "either"]).default("either"),
});

export const marketPriceParamsSchema = z.strictObject({
  carrier: z.enum(energyCarriers),
  /** A region; unset: the national price (no region). */
  region: z.string().min(1).max(64).optional(),
  condition: z.discriminatedUnion("op", [priceThreshold, priceChange]),
});

export const marketSubsidyParamsSchema = z.strictObject({
  /**
   * region: the program covers one of the subscriber's regions; class: a home the subscriber assessed
   * can make the program's class jump; region_or_class / region_and_class: either / both.
   */
  match: z
    .enum(["region", "class", "region_or_class", "region_and_class"])
    .default("region_or_class"),
});

export const alertRuleSchema = z.discriminatedUnion("kind", [
  z.strictObject({ ...base, kind: z.literal("slo_burn"), params: sloBurnParamsSchema }),
  z.strictObject({
    ...base,
    kind: z.literal("latency_threshold"),
    params: latencyThresholdParamsSchema,
  }),
  z.strictObject({ ...base, kind: z.literal("market_price"), params: marketPriceParamsSchema }),
  z.strictObject({
    ...base,
    kind: z.literal("market_subsidy"),
    /** Edge-triggered: how long a new program version's alert stays firing (default one day). */
    keep_firing_for: holdMs(DAY_MS),
    params: marketSubsidyParamsSchema,
  }),
]);

export type AlertRule = z.output<typeof alertRuleSchema>;
export type AlertRuleInput = z.input<typeof alertRuleSchema>;
export type AlertRuleKind = AlertRule["kind"];
export type RuleOf<K extends AlertRuleKind> = Extract<AlertRule, { kind: K }>;
export type SloBurnParams = z.output<typeof sloBurnParamsSchema>;
export type LatencyThresholdParams = z.output<typeof latencyThresholdParamsSchema>;
export type MarketPriceParams = z.output<typeof marketPriceParamsSchema>;
export type MarketSubsidyParams = z.output<typeof marketSubsidyParamsSchema>;

/** Parses a rule, throwing zod's error with paths; use `alertRuleSchema.safeParse` to collect errors. */
export const parseAlertRule = (input: unknown): AlertRule => alertRuleSchema.parse(input);
