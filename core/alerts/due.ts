/**
 * When a tenant's evaluation step must run again although none of its inputs changed: the earliest
 * instant after `now` at which `evaluate` or `plan`, given the same stored inputs, could return
 * something different from what they returned at `now`. Together with "an input changed" this makes
 * incremental evaluation (stream/alerts) give exactly the transitions and notifications of evaluating
 * at every tick: a step is skipped only when it would have changed nothing.
 *
 * The clocks, all exact (each is the instant a comparison with `now` in evaluate.ts, plan.ts,
 * suppression.ts or conditions.ts flips):
 * - pending alert: `activeAtMs + for` (promotion to firing);
 * - firing alert whose condition went false: `keepFiringSinceMs + keep_firing_for` (resolution);
 * - resolved alert: `resolvedAtMs + retention` (forgotten; edge-triggered ones after the edge retention);
 * - notification group: `nextFlushAtMs` (the flush grid; repeat_interval is only checked on it) and
 *   `createdAtMs + group_wait` (the first instant an escalation may flush);
 * - silence: `startsAtMs` and `endsAtMs`;
 * - inputs that depend on the time itself: a price point leaves a % change window W at `tsMs + W`; a
 *   subsidy program stops (or starts) matching at `closesAt` (`opensAt`). The windows of SLO burn and
 *   latency inputs move at whole minutes (`minuteAligned`): the caller re-reads them at every minute
 *   boundary (their buckets are minutes and hours).
 */

import { durationMs } from "../slo/durations.ts";
import type { AlertState } from "./evaluate.ts";
import { defaultEdgeRetentionMs, defaultResolvedRetentionMs } from "./evaluate.ts";
import type { EvaluationInputs, PricePoint } from "./inputs.ts";
import type { NotificationGroup, RouteConfig } from "./plan.ts";
import type { AlertRule } from "./rules.ts";
import type { Silence } from "./suppression.ts";

export interface DueArgs {
  now: number;
  rules: readonly AlertRule[];
  /** The alert states after the step at `now` (evaluated and held). */
  states: readonly AlertState[];
  groups: readonly NotificationGroup[];
  route: Pick<RouteConfig, "id" | "group_wait">;
  silences: readonly Silence[];
  inputs: EvaluationInputs;
  resolvedRetentionMs?: number;
  edgeRetentionMs?: number;
}

/** The next instant (> now) at which a step could change something by time alone; Infinity if none. */
export function nextDueAtMs(args: DueArgs): number {
  const { now } = args;
  let due = Number.POSITIVE_INFINITY;
  const at = (t: number | null | undefined) => {
    if (t !== null && t !== undefined && Number.isFinite(t) && t > now && t < due) due = t;
  };
  const rules = new Map(args.rules.map((r) => [r.id, r]));
  const resolvedRetentionMs = args.resolvedRetentionMs ?? defaultResolvedRetentionMs;
  const edgeRetentionMs = args.edgeRetentionMs ?? defaultEdgeRetentionMs;
  for (const s of args.states) {
    const rule = rules.get(s.ruleId);
    if (s.status === "pending" && rule) at(s.activeAtMs + rule.for);
    if (s.status === "firing" && rule && s.keepFiringSinceMs !== null)
      at(s.keepFiringSinceMs + rule.keep_firing_for);
    if (s.status === "resolved" && s.resolvedAtMs !== null)
      at(s.resolvedAtMs + (s.edge ? edgeRetentionMs : resolvedRetentionMs));
  }
  for (const g of args.groups) {
    if (g.routeId !== args.route.id) continue;
    at(g.nextFlushAtMs);
    at(g.createdAtMs + args.route.group_wait);
  }
  for (const s of args.silences) {
    at(s.startsAtMs);
    at(s.endsAtMs);
  }
  const windows = new Set<number>();
  for (const r of args.rules)
    if (r.kind === "market_price" && r.params.condition.op === "change_pct")
      windows.add(durationMs(r.params.condition.window));
  const prices = args.inputs.prices;
  if (prices) for (const w of windows) at(firstExit(prices, w, now));
  for (const p of args.inputs.subsidies?.programs ?? []) {
    at(p.closesAt);
    at(p.opensAt);
  }
  return due;
}

/**
 * The first instant after `now` at which a price point leaves a window of `windowMs` (the least
 * `tsMs + windowMs` above `now`), kept per points array for the last `now` and window: an evaluator
 * hands every tenant of a tick the same (read-only) price history.
 */
const exits = new WeakMap<
  readonly PricePoint[],
  { now: number; length: number; byWindow: Map<number, number> }
>();

function firstExit(points: readonly PricePoint[], windowMs: number, now: number): number {
  let memo = exits.get(points);
  if (!memo || memo.now !== now || memo.length !== points.length) {
    memo = { now, length: points.length, byWindow: new Map() };
    exits.set(points, memo);
  }
  let first = memo.byWindow.get(windowMs);
  if (first === undefined) {
    first = Number.POSITIVE_INFINITY;
    for (const p of points) {
      const t = p.tsMs + windowMs;
      if (t > now && t < first) first = t;
    }
    memo.byWindow.set(windowMs, first);
  }
  return first;
}

/** Whether a rule reads inputs over windows that move with the clock at whole minutes. */
export const minuteAligned = (rule: AlertRule) =>
  rule.kind === "slo_burn" || rule.kind === "latency_threshold";
