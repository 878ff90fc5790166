/**
 * SLO status, computed purely from exact event counts: burn rate per tier window, tier states, and the
 * error budget remaining over the whole SLO window (event-weighted: allowed bad events are
 * (1 - objective) × all events of the window, not an average of ratios).
 *   burn rate = error ratio over the window / (1 - objective)
 * The arithmetic is exact (exact.ts: the objective and budgetConsumed as the decimals they are written
 * as, counts as integers): a tier fires when both burn rates are strictly above its factor as
 * fractions, an exactly spent budget is 0; figures are rounded to numbers only to be reported.
 * Windows are whole buckets ending with the current (partial) one: minutes for windows under a day,
 * hours from a day up (the stored resolutions). A calendar month that does not start on a whole UTC
 * hour (Asia/Kolkata, Asia/Kathmandu, …) counts its first partial hour from minute buckets (the stream
 * worker keeps those until the month ends). No data is a state, never NaN.
 */

import {
  type ResolvedTier,
  resolveTiers,
  type SloDefinition,
  sloWindowBounds,
} from "./definition.ts";
import { durationMs, formatDuration } from "./durations.ts";
import { compare, count, decimal, minus, one, over, type Ratio, times, toNumber } from "./exact.ts";

export interface WindowCounts {
  total: number;
  good: number;
  /** True when some counts came from histograms rather than exact counters (latency SLIs only). */
  approximate?: boolean;
}

export type Granularity = "minute" | "hour";

export interface CountWindow {
  key: string;
  /** Buckets with start in [fromMs, toMs) at this granularity. */
  fromMs: number;
  toMs: number;
  granularity: Granularity;
}

const bucketMs: Record<Granularity, number> = { minute: 60_000, hour: 3_600_000 };
const floorTo = (ms: number, step: number) => ms - (((ms % step) + step) % step);

export const granularityFor = (lengthMs: number): Granularity =>
  lengthMs >= 86_400_000 ? "hour" : "minute";

/** Buckets [fromMs, toMs) covering the last `lengthMs`, the current (partial) bucket included. */
export function trailingWindow(
  nowMs: number,
  lengthMs: number,
): { fromMs: number; toMs: number; granularity: Granularity } {
  const granularity = granularityFor(lengthMs);
  const step = bucketMs[granularity];
  const toMs = floorTo(nowMs, step) + step;
  return { fromMs: toMs - Math.max(step, Math.round(lengthMs / step) * step), toMs, granularity };
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
  if (slo.window.kind === "rolling") {
    windows.set("budget", { key: "budget", ...trailingWindow(nowMs, budget.lengthMs) });
    return [...windows.values()];
  }
  // A calendar month from its first instant: whole hours from hour buckets and, when the month does
  // not start on a whole UTC hour, its first partial hour from minute buckets ("budget-head").
  const hour = bucketMs.hour;
  const firstHour = floorTo(budget.startMs + hour - 1, hour);
  windows.set("budget", {
    key: "budget",
    fromMs: firstHour,
    toMs: Math.max(firstHour, floorTo(nowMs, hour) + hour),
    granularity: "hour",
  });
  if (firstHour > budget.startMs) {
    windows.set("budget-head", {
      key: "budget-head",
      fromMs: floorTo(budget.startMs, bucketMs.minute),
      toMs: Math.min(firstHour, floorTo(nowMs, bucketMs.minute) + bucketMs.minute),
      granularity: "minute",
    });
  }
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
  /** firing: both windows burn strictly above the factor with enough events. */
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

/** 1 - objective, exactly (the objective as written: 0.999 is 999/1000). */
export const budgetShare = (slo: Pick<SloDefinition, "objective">): Ratio =>
  minus(one, decimal(slo.objective));

/**
 * A window's burn rate as reported, and exactly (bad / (total × share), `share` = budgetShare(slo);
 * null without events).
 */
function burnRateWindow(
  slo: SloDefinition,
  share: Ratio,
  window: string,
  counts: WindowCounts | undefined,
): { reported: BurnRateWindow; burn: Ratio | null } {
  const total = counts?.total ?? 0;
  const bad = total - (counts?.good ?? 0);
  if (total === 0) {
    return {
      reported: {
        window,
        total,
        bad: 0,
        errorRatio: null,
        burnRate: null,
        state: "no_data",
        approximate: false,
      },
      burn: null,
    };
  }
  const burn = over(count(bad), times(count(total), share));
  return {
    reported: {
      window,
      total,
      bad,
      errorRatio: bad / total,
      burnRate: toNumber(burn),
      state: total < slo.minEvents ? "insufficient_data" : "ok",
      approximate: counts?.approximate ?? false,
    },
    burn,
  };
}

/**
 * The burn-rate comparison of every tier, exact: the window's exact burn rate is strictly above the
 * factor (a burn rate of exactly the factor, 1 error in 1,000 at 99.9% against factor 1, does not
 * fire).
 */
export const burnsAbove = (burn: Ratio | null, tier: Pick<ResolvedTier, "exactFactor">): boolean =>
  burn !== null && compare(burn, tier.exactFactor) > 0;

function tierStatus(
  slo: SloDefinition,
  share: Ratio,
  tier: ResolvedTier,
  counts: ReadonlyMap<string, WindowCounts>,
): TierStatus {
  const long = burnRateWindow(slo, share, tier.longWindow, counts.get(tier.longWindow));
  const short = burnRateWindow(slo, share, tier.shortWindow, counts.get(tier.shortWindow));
  const [longState, shortState] = [long.reported.state, short.reported.state];
  let state: TierStatus["state"];
  if (longState === "no_data" || shortState === "no_data") state = "no_data";
  else if (longState === "insufficient_data" || shortState === "insufficient_data")
    state = "insufficient_data";
  // Strictly above the factor (as the SRE workbook, Sloth and Pyrra), compared as exact fractions.
  else state = burnsAbove(long.burn, tier) && burnsAbove(short.burn, tier) ? "firing" : "ok";
  return {
    name: tier.name,
    severity: tier.severity,
    factor: tier.factor,
    longWindow: long.reported,
    shortWindow: short.reported,
    state,
  };
}

export function computeSloStatus(
  slo: SloDefinition,
  nowMs: number,
  counts: ReadonlyMap<string, WindowCounts>,
): SloStatus {
  const share = budgetShare(slo);
  const tiers = resolveTiers(slo, nowMs).map((tier) => tierStatus(slo, share, tier, counts));
  const bounds = sloWindowBounds(slo, nowMs);
  const budgetCounts = [counts.get("budget"), counts.get("budget-head")];
  const total = budgetCounts.reduce((sum, c) => sum + (c?.total ?? 0), 0);
  const bad = total - budgetCounts.reduce((sum, c) => sum + (c?.good ?? 0), 0);
  // allowed = total × (1 - objective); remaining = (allowed - bad) / allowed, exactly.
  const allowed = total === 0 ? null : times(count(total), share);
  const allowedBad = allowed === null ? null : toNumber(allowed);
  const remaining = allowed === null ? null : toNumber(over(minus(allowed, count(bad)), allowed));
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
        slo.window.kind === "rolling"
          ? trailingWindow(nowMs, bounds.lengthMs).fromMs
          : bounds.startMs,
      ).toISOString(),
      windowEnd: new Date(bounds.endMs).toISOString(),
      total,
      bad,
      allowedBad,
      remaining,
      approximate: budgetCounts.some((c) => c?.approximate ?? false),
    },
  };
}

export { formatDuration };
