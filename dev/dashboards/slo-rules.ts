/**
 * Prometheus recording and alerting rules from gridpulse SLO definitions, in the multiwindow,
 * multi-burn-rate form with Sloth-style names (`slo:sli_error:ratio_rate5m`, `slo:objective:ratio`,
 * `slo:current_burn_rate:ratio`, ...). Tier factors come from core (`resolveTiers`), so Prometheus fires
 * at the burn rates gridpulse's own evaluator uses; a tier fires when both its windows burn at or
 * above the factor and each window holds at least `minEvents` requests (gridpulse's low-traffic guard).
 * The error budget over the SLO period is event-weighted: summed request and error rates, not an
 * average of ratios. Calendar-month SLOs are approximated by a rolling 30 days (Prometheus has no
 * calendar windows); the rules file says so.
 */
import { resolveTiers, type SloDefinition } from "../../core/slo/definition.ts";
import { durationMs, formatDuration } from "../../core/slo/durations.ts";
import { times, toNumber } from "../../core/slo/exact.ts";
import { budgetShare } from "../../core/slo/status.ts";
import type { IdentifiedSlo, PrometheusSource } from "./slo-file.ts";

export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}
export interface AlertingRule {
  alert: string;
  expr: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
export interface RuleGroup {
  name: string;
  rules: (RecordingRule | AlertingRule)[];
}

export const alertName = "GridpulseSloErrorBudgetBurn";

/** Rolling days Prometheus uses for the SLO period. */
export function periodDays(slo: SloDefinition): number {
  return slo.window.kind === "rolling" ? slo.window.days : 30;
}

/** The tiers with their factors, for a calendar SLO as if its window were 30 rolling days. */
export function tiersOf(slo: SloDefinition) {
  return resolveTiers(
    { tiers: slo.tiers, window: { kind: "rolling", days: periodDays(slo) } },
    Date.UTC(2026, 0, 1),
  );
}

/** The distinct burn-rate windows of the tiers, shortest first. */
export function windowsOf(slo: SloDefinition): string[] {
  const ws = new Set(slo.tiers.flatMap((t) => [t.longWindow, t.shortWindow]));
  return [...ws].sort((a, b) => durationMs(a) - durationMs(b));
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const quote = (s: string) => JSON.stringify(s);

/** Matches the `le` label of a bucket bound however the exposition formats it ("1", "1.0", "0.25"). */
export function leMatcher(boundS: number): string {
  const text = String(boundS);
  const pattern = text.includes(".") ? `${escapeRegex(text)}0*` : `${text}(\\.0*)?`;
  return `le=~${quote(pattern)}`;
}

function selector(source: PrometheusSource, slo: SloDefinition, extra: string[] = []): string {
  const parts = [source.selector.trim()].filter(Boolean);
  if (slo.routes.length > 0)
    parts.push(`${source.routeLabel}=~${quote(slo.routes.map(escapeRegex).join("|"))}`);
  return `{${[...parts, ...extra].join(",")}}`;
}

export function thresholdBoundS(slo: SloDefinition, source: PrometheusSource): number | undefined {
  if (slo.sli.kind !== "latency") return undefined;
  const boundS = slo.sli.thresholdMs / 1000;
  return source.bucketsS.find((b) => Math.abs(b - boundS) < 1e-12);
}

/** PromQL for the request rate and the bad-request rate of an SLO over `window`. */
export function sliQueries(slo: SloDefinition, source: PrometheusSource, window: string) {
  const total = `sum(rate(${source.histogram}_count${selector(source, slo)}[${window}]))`;
  if (slo.sli.kind === "availability") {
    const bad = `sum(rate(${source.histogram}_count${selector(source, slo, [`${source.statusLabel}=~"5.."`])}[${window}]))`;
    return { total, errors: `(${bad} or vector(0))` };
  }
  const boundS = thresholdBoundS(slo, source);
  if (boundS === undefined)
    throw new Error(
      `latency threshold ${slo.sli.thresholdMs} ms is not a bucket bound of ${source.histogram} (${source.bucketsS.join(", ")} s)`,
    );
  const good = `sum(rate(${source.histogram}_bucket${selector(source, slo, [leMatcher(boundS)])}[${window}]))`;
  return { total, errors: `(${total} - ${good})` };
}

export const fmt = (x: number) => String(Number(x.toPrecision(12)));

/** Alert annotations of a tier; `service` is a template in the rule and the value in its tests. */
export function tierAnnotations(
  slo: SloDefinition,
  tier: ReturnType<typeof tiersOf>[number],
  service: string,
) {
  const budget = 1 - slo.objective;
  return {
    summary: `${slo.name}: error budget burning faster than ${fmt(tier.factor)}x (${tier.name})`,
    description: `Error ratio of ${service} over ${tier.longWindow} and ${tier.shortWindow} is above ${fmt(tier.factor)} times the budget of ${fmt(budget)} (objective ${fmt(slo.objective)}); at this rate ${Math.round(tier.budgetConsumed * 100)}% of the ${periodDays(slo)}-day budget is gone in ${tier.longWindow}.`,
  };
}

export interface GeneratedRules {
  groups: RuleGroup[];
  skipped: string[];
}

/** Rule groups for every SLO whose service has a source; the others are listed in `skipped`. */
export function generateSloRules(
  slos: IdentifiedSlo[],
  sources: Record<string, PrometheusSource>,
): GeneratedRules {
  const groups: RuleGroup[] = [];
  const skipped: string[] = [];
  for (const { id, slo } of slos) {
    const source = sources[slo.service];
    if (!source) {
      skipped.push(
        `${id}: no Prometheus source for service "${slo.service}" (add one under sources:)`,
      );
      continue;
    }
    groups.push(...sloGroups(id, slo, source));
  }
  return { groups, skipped };
}

export function sloLabels(id: string, slo: SloDefinition): Record<string, string> {
  return { slo_id: id, slo: slo.name, service: slo.service, sli: slo.sli.kind };
}

function sloGroups(id: string, slo: SloDefinition, source: PrometheusSource): RuleGroup[] {
  const labels = sloLabels(id, slo);
  const match = `{slo_id=${quote(id)}}`;
  const budget = 1 - slo.objective;
  const windows = windowsOf(slo);
  const shortest = windows[0] as string;
  const days = periodDays(slo);
  const period = formatDuration(days * 86_400_000);
  const recording: RecordingRule[] = windows.map((w) => {
    const q = sliQueries(slo, source, w);
    return { record: `slo:sli_error:ratio_rate${w}`, expr: `${q.errors}\n/\n${q.total}`, labels };
  });
  const short = sliQueries(slo, source, shortest);
  recording.push(
    { record: `slo:sli_requests:rate${shortest}`, expr: short.total, labels },
    { record: `slo:sli_errors:rate${shortest}`, expr: short.errors, labels },
    {
      // Event-weighted over the period: summed error rate over summed request rate.
      record: `slo:sli_error:ratio_rate${period}`,
      expr: `sum_over_time(slo:sli_errors:rate${shortest}${match}[${period}])\n/\nsum_over_time(slo:sli_requests:rate${shortest}${match}[${period}])`,
      labels,
    },
    { record: "slo:objective:ratio", expr: `vector(${fmt(slo.objective)})`, labels },
    { record: "slo:error_budget:ratio", expr: `vector(${fmt(budget)})`, labels },
    { record: "slo:time_period:days", expr: `vector(${days})`, labels },
    {
      record: "slo:current_burn_rate:ratio",
      expr: `slo:sli_error:ratio_rate${shortest}${match} / on(slo_id) slo:error_budget:ratio${match}`,
      labels,
    },
    {
      record: "slo:period_burn_rate:ratio",
      expr: `slo:sli_error:ratio_rate${period}${match} / on(slo_id) slo:error_budget:ratio${match}`,
      labels,
    },
    {
      record: "slo:period_error_budget_remaining:ratio",
      expr: `1 - slo:period_burn_rate:ratio${match}`,
      labels,
    },
  );
  const tiers = tiersOf(slo);
  for (const tier of tiers) {
    recording.push({
      record: "slo:tier_burn_rate_factor:ratio",
      expr: `vector(${fmt(tier.factor)})`,
      labels: {
        ...labels,
        tier: tier.name,
        severity: tier.severity,
        long_window: tier.longWindow,
        short_window: tier.shortWindow,
      },
    });
  }
  const share = budgetShare(slo);
  const alerts: AlertingRule[] = tiers.map((tier) => {
    // gridpulse fires at burn rate > factor, comparing exact fractions (a burn rate of exactly the
    // factor never fires). Prometheus compares floats: the error ratio above the exact factor times
    // the budget (the reported factor is rounded: 0.933333 for a 28-day ticket, below 14/15), with
    // a relative margin of 1e-9 so the division's rounding cannot fire it.
    const exactThreshold = toNumber(times(tier.exactFactor, share));
    const threshold = fmt(exactThreshold * (1 + 1e-9));
    const enough = (w: string) =>
      `(${sliQueries(slo, source, w).total} * ${durationMs(w) / 1000} >= ${slo.minEvents})`;
    return {
      alert: alertName,
      expr: [
        `slo:sli_error:ratio_rate${tier.longWindow}${match} > ${threshold}`,
        `and on() slo:sli_error:ratio_rate${tier.shortWindow}${match} > ${threshold}`,
        `and on() ${enough(tier.longWindow)}`,
        `and on() ${enough(tier.shortWindow)}`,
      ].join("\n"),
      labels: {
        slo_id: id,
        severity: tier.severity,
        tier: tier.name,
        long_window: tier.longWindow,
        short_window: tier.shortWindow,
        burn_rate_factor: fmt(tier.factor),
      },
      annotations: tierAnnotations(slo, tier, "{{ $labels.service }}"),
    };
  });
  return [
    { name: `slo-sli-recordings-${id}`, rules: recording },
    { name: `slo-meta-alerts-${id}`, rules: alerts },
  ];
}
