/**
 * `promtool test rules` cases for the generated SLO rules, two per SLO:
 *  - burn: a steady error ratio at a burn rate near 10 for 8 hours; exactly the tiers whose factor is at
 *    or below that burn rate fire (default tiers: page-slow and ticket, not page-fast at 14.4), and the
 *    recorded error ratio and burn rate have the expected values;
 *  - recovery: the same errors for one hour, then none: the tiers fire at the hour and every alert is
 *    gone once the longest short window is clean again, although the long windows still burn;
 *  - boundary: a steady error ratio at exactly burn rate 1 (the budget: 1 error in 1,000 at 99.9%):
 *    a tier whose factor is 1 (the ticket of a 30-day SLO) does not fire, the comparison being
 *    strictly above the factor; tiers with a lower factor (28 days: 0.93) do.
 * Input series carry the source's equality matchers; sources with other matchers get no cases.
 */
import type { SloDefinition } from "../../core/slo/definition.ts";
import { durationMs } from "../../core/slo/durations.ts";
import type { IdentifiedSlo, PrometheusSource } from "./slo-file.ts";
import {
  alertName,
  fmt,
  sloLabels,
  thresholdBoundS,
  tierAnnotations,
  tiersOf,
} from "./slo-rules.ts";

const perMinute = 1000;

function equalityLabels(selector: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  const parts = selector
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  for (const part of parts) {
    const m = /^([a-zA-Z_]\w*)\s*=\s*"((?:[^"\\]|\\.)*)"$/.exec(part);
    if (!m) return undefined;
    labels[m[1] as string] = m[2] as string;
  }
  return labels;
}

const series = (name: string, labels: Record<string, string>) =>
  `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(",")}}`;

/** Errors per minute out of `perMinute` for a burn rate near 10 that no tier factor is close to. */
function errorsPerMinute(slo: SloDefinition): number {
  const budget = 1 - slo.objective;
  const factors = tiersOf(slo).map((t) => t.factor);
  for (let target = 10; target < 1 / budget; target *= 1.17) {
    const errors = Math.max(1, Math.round(target * budget * perMinute));
    const burn = errors / perMinute / budget;
    if (factors.every((f) => Math.abs(burn - f) / f > 0.05)) return errors;
  }
  return Math.max(1, Math.round(budget * perMinute * 2));
}

function inputSeries(
  slo: SloDefinition,
  source: PrometheusSource,
  base: Record<string, string>,
  errors: string,
  good: string,
  all: string,
) {
  const labels = { ...base, [source.routeLabel]: slo.routes[0] ?? "/v1/example" };
  if (slo.sli.kind === "availability") {
    return [
      {
        series: series(`${source.histogram}_count`, { ...labels, [source.statusLabel]: "200" }),
        values: good,
      },
      {
        series: series(`${source.histogram}_count`, { ...labels, [source.statusLabel]: "500" }),
        values: errors,
      },
    ];
  }
  const ok = { ...labels, [source.statusLabel]: "200" };
  return [
    { series: series(`${source.histogram}_count`, ok), values: all },
    {
      series: series(`${source.histogram}_bucket`, {
        ...ok,
        le: String(thresholdBoundS(slo, source)),
      }),
      values: good,
    },
  ];
}

function expectedAlerts(id: string, slo: SloDefinition, burn: number) {
  return tiersOf(slo)
    .filter((t) => t.factor < burn * (1 - 1e-9))
    .map((t) => ({
      exp_labels: {
        ...sloLabels(id, slo),
        severity: t.severity,
        tier: t.name,
        long_window: t.longWindow,
        short_window: t.shortWindow,
        burn_rate_factor: fmt(t.factor),
      },
      exp_annotations: tierAnnotations(slo, t, slo.service),
    }));
}

export function generateRuleTests(
  slos: IdentifiedSlo[],
  sources: Record<string, PrometheusSource>,
  ruleFiles: string[],
) {
  const tests: unknown[] = [];
  const skipped: string[] = [];
  for (const { id, slo } of slos) {
    const source = sources[slo.service];
    const base = source ? equalityLabels(source.selector) : undefined;
    if (!source || !base) {
      skipped.push(`${id}: no source with equality matchers only`);
      continue;
    }
    const errors = errorsPerMinute(slo);
    const burn = errors / perMinute / (1 - slo.objective);
    const longestShortMin = Math.max(...slo.tiers.map((t) => durationMs(t.shortWindow) / 60_000));
    const burnMinutes = 480;
    const recoveryMinutes = 60 + longestShortMin + 30;
    const match = `{slo_id=${JSON.stringify(id)}}`;
    const labels = sloLabels(id, slo);
    const expected = expectedAlerts(id, slo, burn);
    tests.push({
      name: `${id}: steady burn rate ${burn.toFixed(3)}`,
      interval: "1m",
      input_series: inputSeries(
        slo,
        source,
        base,
        `0+${errors}x${burnMinutes}`,
        `0+${perMinute - errors}x${burnMinutes}`,
        `0+${perMinute}x${burnMinutes}`,
      ),
      promql_expr_test: [
        {
          expr: `round(slo:sli_error:ratio_rate5m${match} * 1e6)`,
          eval_time: "7h",
          exp_samples: [{ labels: series("", labels), value: (errors / perMinute) * 1e6 }],
        },
        {
          expr: `round(slo:current_burn_rate:ratio${match} * 1e3)`,
          eval_time: "7h",
          exp_samples: [{ labels: series("", labels), value: Math.round(burn * 1e3) }],
        },
      ],
      alert_rule_test: [{ eval_time: "7h", alertname: alertName, exp_alerts: expected }],
    });
    // Burn rate exactly 1: errors per minute = the budget's share of perMinute (a whole number for
    // objectives with at most three decimals).
    const budgetErrors = (1 - slo.objective) * perMinute;
    if (Math.abs(budgetErrors - Math.round(budgetErrors)) < 1e-9 && Math.round(budgetErrors) > 0) {
      const e = Math.round(budgetErrors);
      tests.push({
        name: `${id}: steady burn rate exactly 1 (a factor of 1 does not fire)`,
        interval: "1m",
        input_series: inputSeries(
          slo,
          source,
          base,
          `0+${e}x${burnMinutes}`,
          `0+${perMinute - e}x${burnMinutes}`,
          `0+${perMinute}x${burnMinutes}`,
        ),
        alert_rule_test: [
          { eval_time: "7h", alertname: alertName, exp_alerts: expectedAlerts(id, slo, 1) },
        ],
      });
    }
    const afterMinutes = recoveryMinutes - 60;
    tests.push({
      name: `${id}: one hour at burn rate ${burn.toFixed(3)}, then clean`,
      interval: "1m",
      input_series: inputSeries(
        slo,
        source,
        base,
        `0+${errors}x60 ${errors * 60}+0x${afterMinutes}`,
        `0+${perMinute - errors}x60 ${(perMinute - errors) * 60}+${perMinute}x${afterMinutes}`,
        `0+${perMinute}x${recoveryMinutes}`,
      ),
      alert_rule_test: [
        { eval_time: "60m", alertname: alertName, exp_alerts: expected },
        { eval_time: `${recoveryMinutes}m`, alertname: alertName, exp_alerts: [] },
      ],
    });
  }
  return { doc: { rule_files: ruleFiles, evaluation_interval: "1m", tests }, skipped };
}
