/**
 * Per rule kind: the alerts a rule yields at `now` from the inputs, each with its own labels, a value
 * and a condition (true, false or no_data). Pure; the state machine lives in evaluate.ts.
 */
import { compareCodePoints } from "../market/code-point-order.ts";
import { programRegionsAnnotation, programRegionsText } from "../market/regions.ts";
import { durationMs } from "../slo/durations.ts";
import type { EvaluationInputs, LatencyObservation, PricePoint, SloBurnInput } from "./inputs.ts";
import type { Labels } from "./labels.ts";
import type { AlertRule, LatencyQuantileName, RuleOf } from "./rules.ts";
import { matchSubsidy, subsidyProgramVersion } from "./subsidy.ts";

export type Condition = "true" | "false" | "no_data";

export interface Sample {
  /** Kind labels, merged over the rule's labels. */
  labels: Labels;
  value: number | null;
  condition: Condition;
  /** Default annotations from the data; the rule's own annotations take precedence. */
  annotations?: Labels;
  /** Edge-triggered: fires once per identity, then resolves (market_subsidy). */
  edge?: boolean;
}

/** Inputs indexed once per evaluation (lookups by key instead of scans per rule). */
export interface PreparedInputs {
  prepared: true;
  raw: EvaluationInputs;
  slo: Map<string, SloBurnInput>;
  latency: Map<string, LatencyObservation>;
  /** Per carrier and region: points up to now, oldest first. */
  prices: Map<string, PricePoint[]>;
}

// Keys of the input indexes: each part prefixed by its length, so distinct parts never share a key.
const latencyKey = (service: string, route: string | null, window: string) =>
  `${service.length}:${service}${route === null ? "-" : `${route.length}:${route}`}${window}`;
const priceKey = (carrier: string, region: string) => `${carrier.length}:${carrier}${region}`;

export function prepareInputs(inputs: EvaluationInputs, nowMs: number): PreparedInputs {
  const slo = new Map<string, SloBurnInput>();
  for (const s of inputs.slo ?? []) if (!slo.has(s.sloId)) slo.set(s.sloId, s);
  const latency = new Map<string, LatencyObservation>();
  for (const o of inputs.latency ?? []) {
    const key = latencyKey(o.service, o.route, o.window);
    if (!latency.has(key)) latency.set(key, o);
  }
  return { prepared: true, raw: inputs, slo, latency, prices: priceSeries(inputs.prices, nowMs) };
}

/**
 * Price points per carrier and region up to `nowMs`, oldest first. Kept for the last `nowMs` per
 * points array: callers that hand many evaluations the same (read-only) array at one instant — the
 * alert evaluator gives every tenant of a tick the same price history — index it once.
 */
const indexedPrices = new WeakMap<
  readonly PricePoint[],
  { nowMs: number; length: number; series: Map<string, PricePoint[]> }
>();

function priceSeries(
  points: readonly PricePoint[] | undefined,
  nowMs: number,
): Map<string, PricePoint[]> {
  if (!points) return new Map();
  const hit = indexedPrices.get(points);
  if (hit && hit.nowMs === nowMs && hit.length === points.length) return hit.series;
  const series = new Map<string, PricePoint[]>();
  for (const p of points) {
    if (p.tsMs > nowMs) continue;
    const key = priceKey(p.carrier, regionOf(p));
    const list = series.get(key) ?? [];
    list.push(p);
    series.set(key, list);
  }
  for (const list of series.values()) list.sort(byTimeThenEvent);
  indexedPrices.set(points, { nowMs, length: points.length, series });
  return series;
}

export function sampleRule(
  rule: AlertRule,
  given: EvaluationInputs | PreparedInputs,
  nowMs: number,
): Sample[] {
  const inputs = "prepared" in given ? given : prepareInputs(given, nowMs);
  switch (rule.kind) {
    case "slo_burn":
      return [sloBurn(rule, inputs)];
    case "latency_threshold":
      return [latencyThreshold(rule, inputs)];
    case "market_price":
      return [marketPrice(rule, inputs, nowMs)];
    case "market_subsidy":
      return marketSubsidy(rule, inputs, nowMs);
  }
}

/** Fires when both windows of the tier burn strictly above its factor (core/slo/status.ts decides). */
function sloBurn(rule: RuleOf<"slo_burn">, inputs: PreparedInputs): Sample {
  const { sloId, service, tier: tierName } = rule.params;
  const labels = { slo_id: sloId, service, tier: tierName };
  const tier = inputs.slo.get(sloId)?.tiers.find((t) => t.name === tierName);
  if (!tier) return { labels, value: null, condition: "no_data" };
  const long = tier.longWindow.burnRate;
  const short = tier.shortWindow.burnRate;
  const value = long === null || short === null ? null : Math.min(long, short);
  const condition: Condition =
    tier.state === "firing" ? "true" : tier.state === "ok" ? "false" : "no_data";
  return {
    labels,
    value,
    condition,
    annotations: {
      burn_rate_long: long === null ? "no data" : String(round(long)),
      burn_rate_short: short === null ? "no data" : String(round(short)),
      factor: String(tier.factor),
      windows: `${tier.longWindow.window}/${tier.shortWindow.window}`,
    },
  };
}

const quantileKey: Record<LatencyQuantileName, keyof LatencyObservation["quantiles"]> = {
  p50: "p50",
  p90: "p90",
  p95: "p95",
  p99: "p99",
  "p99.9": "p999",
};

/** Fires when the quantile is strictly above the threshold. */
function latencyThreshold(rule: RuleOf<"latency_threshold">, inputs: PreparedInputs): Sample {
  const { service, route, quantile, window, thresholdMs, minCount } = rule.params;
  const labels: Record<string, string> = { service, quantile, window };
  if (route !== undefined) labels.route = route;
  const obs = inputs.latency.get(latencyKey(service, route ?? null, window));
  const value = obs ? obs.quantiles[quantileKey[quantile]] : null;
  if (!obs || obs.quantiles.count < minCount || value === null) {
    return { labels, value: null, condition: "no_data" };
  }
  return {
    labels,
    value,
    condition: value > thresholdMs ? "true" : "false",
    annotations: { threshold_ms: String(thresholdMs), count: String(obs.quantiles.count) },
  };
}

const regionOf = (p: { region?: string | undefined }) => p.region ?? "";

/**
 * Oldest first; at the same time by event id (the greater is the later, by code point: the UTF-8 byte
 * order in which the market store picks the latest price), then by price.
 */
const byTimeThenEvent = (a: PricePoint, b: PricePoint) =>
  a.tsMs - b.tsMs ||
  compareCodePoints(a.eventId ?? "", b.eventId ?? "") ||
  a.eurPerKwh - b.eurPerKwh;

/**
 * The % change of the price over the window ending at `nowMs`: from the price in effect when the window
 * opened (the last point at or before now − W; if the series starts inside the window, its first point)
 * to the latest price. Null without points.
 */
export function priceChangePct(series: readonly PricePoint[], windowMs: number, nowMs: number) {
  const latest = series.at(-1);
  if (!latest) return null;
  const startMs = nowMs - windowMs;
  let baseline = series[0] as PricePoint;
  for (const p of series) {
    if (p.tsMs <= startMs) baseline = p;
    else break;
  }
  return ((latest.eurPerKwh - baseline.eurPerKwh) / baseline.eurPerKwh) * 100;
}

function marketPrice(rule: RuleOf<"market_price">, inputs: PreparedInputs, nowMs: number): Sample {
  const { carrier, region, condition } = rule.params;
  // market_kind: the label push subscriptions and endpoints filter on (core/notify/subscription-filter).
  const labels: Record<string, string> = { market_kind: "price", carrier };
  if (region !== undefined) labels.region = region;
  const series = inputs.prices.get(priceKey(carrier, region ?? "")) ?? [];
  const latest = series.at(-1);
  if (!latest) return { labels, value: null, condition: "no_data" };
  if (condition.op !== "change_pct") {
    const value = latest.eurPerKwh;
    const hit =
      condition.op === "above"
        ? value > condition.thresholdEurPerKwh
        : value < condition.thresholdEurPerKwh;
    return {
      labels,
      value,
      condition: hit ? "true" : "false",
      annotations: { threshold_eur_per_kwh: String(condition.thresholdEurPerKwh) },
    };
  }
  const windowMs = durationMs(condition.window);
  const change = priceChangePct(series, windowMs, nowMs) as number;
  // Compare with a relative tolerance: prices are decimal fractions stored in binary.
  const reached = (x: number) => x >= condition.pct * (1 - 1e-9);
  const hit =
    condition.direction === "rise"
      ? reached(change)
      : condition.direction === "fall"
        ? reached(-change)
        : reached(Math.abs(change));
  return {
    labels,
    value: change,
    condition: hit ? "true" : "false",
    annotations: {
      price_eur_per_kwh: String(latest.eurPerKwh),
      window: condition.window,
      threshold_pct: String(condition.pct),
    },
  };
}

/** Edge-triggered: one alert per matching program version (labels program + program_version). */
function marketSubsidy(
  rule: RuleOf<"market_subsidy">,
  inputs: PreparedInputs,
  nowMs: number,
): Sample[] {
  const subsidies = inputs.raw.subsidies;
  if (!subsidies) return [];
  const samples: Sample[] = [];
  for (const program of subsidies.programs) {
    const match = matchSubsidy(program, subsidies.subscriber, rule.params.match, nowMs);
    if (!match.matches) continue;
    const annotations: Record<string, string> = {
      matched_regions: match.matchedRegions.join(","),
      eligible_classes: match.eligibleClasses.join(","),
      // What notification filters by region read (core/notify/subscription-filter.ts).
      [programRegionsAnnotation]: programRegionsText(program.regions),
    };
    if (program.minClassJump !== undefined) annotations.min_class_jump = `${program.minClassJump}`;
    if (program.maxSubsidyPct !== undefined)
      annotations.max_subsidy_pct = `${program.maxSubsidyPct}`;
    if (program.opensAt !== undefined)
      annotations.opens_at = new Date(program.opensAt).toISOString();
    if (program.closesAt !== undefined)
      annotations.closes_at = new Date(program.closesAt).toISOString();
    if (program.url !== undefined) annotations.url = program.url;
    samples.push({
      labels: {
        market_kind: "subsidy",
        program: program.program,
        program_version: subsidyProgramVersion(program),
      },
      value: program.maxSubsidyPct ?? null,
      condition: "true",
      edge: true,
      annotations,
    });
  }
  return samples;
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;
