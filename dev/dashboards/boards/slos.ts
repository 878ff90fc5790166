/**
 * SLOs and alerts: burn rate per tier window, error budget remaining and firing tiers as gridpulse's
 * stream worker computes them, beside the same figures from the generated Prometheus rules.
 */

import { type DashboardSpec, rte, svc } from "../grafana.ts";
import { alertName } from "../slo-rules.ts";

/** Every recorded error-ratio window as one series with a `window` label, divided by the budget. */
const ruleBurnRates = `label_replace({__name__=~"slo:sli_error:ratio_rate.+",${svc}}, "window", "$1", "__name__", "slo:sli_error:ratio_rate(.+)") / on(slo_id) group_left slo:error_budget:ratio`;

export const sloDashboard: DashboardSpec = {
  uid: "gridpulse-slos",
  title: "gridpulse / SLOs and alerts",
  description:
    "SLO burn rates per tier window, error budget remaining and firing tiers: gridpulse's own evaluation (exact event counts) and the generated Prometheus rules side by side.",
  tags: ["slo", "alerts"],
  variables: [
    { name: "service", label: "Service", query: "label_values(gridpulse_slo_events, service)" },
    {
      name: "route",
      label: "Route",
      query: `label_values(gridpulse_latency_events{${svc}}, route)`,
    },
  ],
  rows: [
    {
      title: "Firing",
      panels: [
        {
          title: "Firing tiers (gridpulse)",
          description:
            "1 while both windows of a tier burn strictly above its factor with enough events (gridpulse_slo_tier_firing).",
          type: "table",
          queries: [{ expr: `gridpulse_slo_tier_firing{${svc}}` }],
          thresholds: ["green", [1, "red"]],
          w: 12,
        },
        {
          title: "Firing alerts (Prometheus)",
          description: `Prometheus alerts ${alertName} firing, by severity (0 when none fires).`,
          type: "stat",
          queries: [
            {
              expr: `sum by (severity) (ALERTS{alertname="${alertName}",alertstate="firing",${svc}}) or on() vector(0)`,
              legend: "{{severity}}",
            },
          ],
          thresholds: ["green", [1, "red"]],
          w: 6,
        },
        {
          title: "Pending alerts (Prometheus)",
          description: `Prometheus alerts ${alertName} pending, by severity.`,
          type: "stat",
          queries: [
            {
              expr: `sum by (severity) (ALERTS{alertname="${alertName}",alertstate="pending",${svc}}) or on() vector(0)`,
              legend: "{{severity}}",
            },
          ],
          thresholds: ["green", [1, "orange"]],
          w: 6,
        },
      ],
    },
    {
      title: "Burn rates",
      panels: [
        {
          title: "Burn rate per window (gridpulse)",
          description:
            "Error ratio over each tier window divided by the error budget, from exact event counts (absent without data).",
          queries: [{ expr: `gridpulse_slo_burn_rate{${svc}}`, legend: "{{slo}} {{window}}" }],
          unit: "short",
          min: 0,
        },
        {
          title: "Burn rate per window (Prometheus rules)",
          description:
            "The recorded error ratio of each window (slo:sli_error:ratio_rate<window>) divided by the error budget.",
          queries: [{ expr: ruleBurnRates, legend: "{{slo}} {{window}}" }],
          unit: "short",
          min: 0,
        },
        {
          title: "Tier factors",
          description:
            "Burn rate at which each tier fires, recomputed from the SLO window (page 1h/5m 14.4x, 6h/30m 6x, ticket 3d/6h 1x for 30 days).",
          type: "table",
          queries: [{ expr: `slo:tier_burn_rate_factor:ratio{${svc}}` }],
          w: 24,
          h: 6,
        },
      ],
    },
    {
      title: "Error budget",
      panels: [
        {
          title: "Error budget remaining (gridpulse)",
          description:
            "Share of the error budget left over the SLO window, event-weighted (1 untouched, 0 spent, negative overspent).",
          type: "bargauge",
          queries: [{ expr: `gridpulse_slo_error_budget_remaining{${svc}}`, legend: "{{slo}}" }],
          unit: "percentunit",
          min: -1,
          max: 1,
          thresholds: ["red", [0, "orange"], [0.25, "green"]],
          w: 8,
        },
        {
          title: "Error budget remaining (Prometheus rules)",
          description:
            "1 - period burn rate, from summed request and error rates over the SLO period (calendar months as 30 days).",
          type: "bargauge",
          queries: [{ expr: `slo:period_error_budget_remaining:ratio{${svc}}`, legend: "{{slo}}" }],
          unit: "percentunit",
          min: -1,
          max: 1,
          thresholds: ["red", [0, "orange"], [0.25, "green"]],
          w: 8,
        },
        {
          title: "Events per window",
          description:
            "Events gridpulse counted in each SLO window (the minimum event guard applies to these).",
          queries: [{ expr: `gridpulse_slo_events{${svc}}`, legend: "{{slo}} {{window}}" }],
          unit: "short",
          w: 8,
        },
      ],
    },
    {
      title: "Latency behind latency SLOs",
      panels: [
        {
          title: "Latency quantiles over 5 minutes",
          description:
            "p50, p90 and p99 per service and route from the stream worker's merged histograms.",
          queries: [
            {
              expr: `gridpulse_latency_seconds{${svc},${rte},window="5m",quantile=~"p50|p90|p99"}`,
              legend: "{{service}} {{route}} {{quantile}}",
            },
          ],
          unit: "s",
          w: 24,
        },
      ],
    },
  ],
};
