/**
 * SLO status, computed purely from exact event counts: burn rate per tier window, tier states, and the
 * error budget remaining over the whole SLO window (event-weighted: allowed bad events are
 * (1 - objective) × all events of the window, not an average of ratios).
 *   burn rate = error ratio over the window / (1 - objective)
 * Windows are whole minutes ending with the current (partial) minute. No data is a state, never NaN.
 */
import { durationMs, formatDuration } from "./durations.ts";
import { type ResolvedTier, resolveTiers, type SloDefinition, sloWindowBounds } from "./definition.ts";

export interface WindowCounts {
  total: number;
  good: number;
  /** True when some counts came from histograms rather than exact counters (latency SLIs only). */
  approximate?: boolean;
}

export interface CountWindow {
  key: string;
  fromMs: number;
  toMs: number;
}

const minuteMs = 60_000;
const floorMinute = (ms: number) => ms - (ms % minuteMs);

/** Minute buckets [fromMs, toMs) covering the last `lengthMs`, the current minute included. */
export function trailingWindow(nowMs: number, lengthMs: number): { fromMs: number; toMs: number } {
  const toMs = floorMinute(nowMs) + minuteMs;
  return { fromMs: toMs - Math.max(minuteMs, Math.round(lengthMs / minuteMs) * minuteMs), toMs };
}

/** Every window whose counts `computeSloStatus` needs at `nowMs`. */
export function sloCountWindows(slo: SloDefinition, nowMs: number): CountWindow[] {
  const windows = new Map<string, CountWindow>();
  for (const tier of slo.tiers) {
    for (const w of [tier.longWindow, tier.shortWindow]) {
      windows.set(w, { key: w, ...trailingWindow(nowMs, durationMs(w)) });
    }
  }
  const budget = sloWindowBounds(slo, nowMs);
  const fromMs = slo.window.kind === "rolling" ? trailingWindow(nowMs, budget.lengthMs).fromMs : floorMinute(budget.startMs);
  windows.set("budget", { key: "budget", fromMs, toMs: floorMinute(nowMs) + minuteMs });
  return [...windows.values()];
}

export type WindowState = "ok" | "no_data" | "insufficient_data";

export interface BurnRateWindow {
  window: string;
  total: number;
  bad: number;
  errorRatio: number | null;
  burnRate: number | null;
  state: WindowState;
  approximate: boolean;
}

export interface TierStatus {
  name: string;
  severity: "page" | "ticket";
  factor: number;
  longWindow: BurnRateWindow;
  shortWindow: BurnRateWindow;
  /** firing: both windows burn at or above the factor with enough events. */
  state: "firing" | "ok" | "no_data" | "insufficient_data";
}

export interface SloStatus {
  evaluatedAt: string;
  state: "critical" | "warning" | "ok" | "no_data";
  tiers: TierStatus[];
  budget: {
    objective: number;
    windowStart: string;
    windowEnd: string;
    total: number;
    bad: number;
    allowedBad: number | null;
    /** 1 = untouched, 0 = spent, negative = overspent; null without events. */
    remaining: number | null;
    approximate: boolean;
  };
}

function burnRateWindow(slo: SloDefinition, window: string, counts: WindowCounts | undefined): BurnRateWindow {
  const total = counts?.total ?? 0;
  const bad = total - (counts?.good ?? 0);
  if (total === 0) {
    return { window, total, bad: 0, errorRatio: null, burnRate: null, state: "no_data", approximate: false };
  }
  const errorRatio = bad / total;
  return {
    window,
    total,
    bad,
    errorRatio,
    burnRate: errorRatio / (1 - slo.objective),
    state: total < slo.minEvents ? "insufficient_data" : "ok",
    approximate: counts?.approximate ?? false,
  };
}

function tierStatus(slo: SloDefinition, tier: ResolvedTier, counts: ReadonlyMap<string, WindowCounts>): TierStatus {
  const long = burnRateWindow(slo, tier.longWindow, counts.get(tier.longWindow));
  const short = burnRateWindow(slo, tier.shortWindow, counts.get(tier.shortWindow));
  let state: TierStatus["state"];
  if (long.state === "no_data" || short.state === "no_data") state = "no_data";
  else if (long.state === "insufficient_data" || short.state === "insufficient_data") state = "insufficient_data";
  // Compare with a relative tolerance: the factor and the ratio are both rounded binary fractions.
  else state = (long.burnRate as number) >= tier.factor * (1 - 1e-9) && (short.burnRate as number) >= tier.factor * (1 - 1e-9) ? "firing" : "ok";
  return { name: tier.name, severity: tier.severity, factor: tier.factor, longWindow: long, shortWindow: short, state };
}

export function computeSloStatus(
  slo: SloDefinition,
  nowMs: number,
  counts: ReadonlyMap<string, WindowCounts>,
): SloStatus {
  const tiers = resolveTiers(slo, nowMs).map((tier) => tierStatus(slo, tier, counts));
  const bounds = sloWindowBounds(slo, nowMs);
  const budgetCounts = counts.get("budget");
  const total = budgetCounts?.total ?? 0;
  const bad = total - (budgetCounts?.good ?? 0);
  const allowedBad = total === 0 ? null : (1 - slo.objective) * total;
  const remaining = allowedBad === null ? null : 1 - bad / allowedBad;
  let state: SloStatus["state"];
  if (tiers.some((t) => t.state === "firing" && t.severity === "page")) state = "critical";
  else if (tiers.some((t) => t.state === "firing")) state = "warning";
  else if (total === 0 && tiers.every((t) => t.state === "no_data")) state = "no_data";
  else state = "ok";
  return {
    evaluatedAt: new Date(nowMs).toISOString(),
    state,
    tiers,
    budget: {
      objective: slo.objective,
      windowStart: new Date(
        slo.window.kind === "rolling" ? trailingWindow(nowMs, bounds.lengthMs).fromMs : bounds.startMs,
      ).toISOString(),
      windowEnd: new Date(bounds.endMs).toISOString(),
      total,
      bad,
      allowedBad,
      remaining,
      approximate: budgetCounts?.approximate ?? false,
    },
  };
}

export { formatDuration };
