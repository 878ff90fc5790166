/** The API dashboard: traffic, errors, latency percentiles by route, SLO status, the Node process. */
import { type DashboardSpec, rte, svc } from "../grafana.ts";

const h = "gridpulse_api_request_duration_seconds";
const sel = `{job="gridpulse-api",${svc},${rte}}`;
const rate = (extra = "") =>
  `rate(${h}_count{job="gridpulse-api",${svc},${rte}${extra}}[$__rate_interval])`;
const quantile = (q: number) =>
  `histogram_quantile(${q}, sum by (le, route) (rate(${h}_bucket${sel}[$__rate_interval])))`;

export const apiDashboard: DashboardSpec = {
  uid: "gridpulse-api",
  title: "gridpulse / API",
  description:
    "The Node API: traffic, errors and latency by route pattern (prom-client on API_METRICS_PORT), SLO status, process health.",
  tags: ["api"],
  variables: [
    {
      name: "service",
      label: "Service",
      query: `label_values(${h}_count{job="gridpulse-api"}, service)`,
    },
    {
      name: "route",
      label: "Route",
      query: `label_values(${h}_count{job="gridpulse-api",${svc}}, route)`,
    },
  ],
  rows: [
    {
      title: "Traffic and errors",
      panels: [
        {
          title: "Requests per second by route",
          description: "Answered requests per second, by route pattern.",
          queries: [{ expr: `sum by (route) (${rate()})`, legend: "{{route}}" }],
          unit: "reqps",
          stacked: true,
        },
        {
          title: "Responses by status",
          description: "Answered requests per second by HTTP status.",
          queries: [{ expr: `sum by (status) (${rate()})`, legend: "{{status}}" }],
          unit: "reqps",
          stacked: true,
        },
        {
          title: "Server error ratio",
          description:
            "Share of requests answered with a 5xx status (what the availability SLI counts as bad).",
          queries: [
            {
              expr: `(sum(${rate(',status=~"5.."')}) or vector(0)) / sum(${rate()})`,
              legend: "5xx ratio",
            },
          ],
          unit: "percentunit",
          min: 0,
          w: 8,
        },
        {
          title: "Client errors by route",
          description:
            "4xx responses per second by route (validation, auth, not found, rate limit).",
          queries: [
            {
              expr: `sum by (route) (${rate(',status=~"4.."')}) or vector(0)`,
              legend: "{{route}}",
            },
          ],
          unit: "reqps",
          w: 8,
        },
        {
          title: "Rate-limited and in-flight",
          description: "Requests refused with 429 per second, and requests being served.",
          queries: [
            {
              expr: `sum(rate(gridpulse_api_rate_limited_total{job="gridpulse-api",${svc}}[$__rate_interval]))`,
              legend: "rate limited /s",
            },
            {
              expr: `sum(gridpulse_api_requests_in_flight{job="gridpulse-api",${svc}})`,
              legend: "in flight",
            },
          ],
          w: 8,
        },
      ],
    },
    {
      title: "Latency",
      panels: [
        {
          title: "p50 latency by route",
          description: "Median request duration by route, from the histogram buckets.",
          queries: [{ expr: quantile(0.5), legend: "{{route}}" }],
          unit: "s",
          w: 8,
        },
        {
          title: "p90 latency by route",
          description: "90th percentile request duration by route.",
          queries: [{ expr: quantile(0.9), legend: "{{route}}" }],
          unit: "s",
          w: 8,
        },
        {
          title: "p99 latency by route",
          description:
            "99th percentile request duration by route. With trace export on, the dots are exemplars: a request's duration and trace id, linked to its trace in Zipkin.",
          queries: [{ expr: quantile(0.99), legend: "{{route}}", exemplar: true }],
          unit: "s",
          w: 8,
        },
        {
          title: "Requests within 250 ms",
          description:
            "Share of requests answered within 250 ms (the default latency SLO threshold).",
          type: "stat",
          queries: [
            {
              expr: `sum(rate(${h}_bucket{job="gridpulse-api",${svc},${rte},le=~"0.250*"}[$__rate_interval])) / sum(${rate()})`,
              legend: "within 250 ms",
            },
          ],
          unit: "percentunit",
          thresholds: ["red", [0.99, "green"]],
          w: 6,
          h: 6,
        },
        {
          title: "Latency by route (table)",
          description: "p50 and p99 of every route over the selected range.",
          type: "table",
          queries: [
            {
              expr: `histogram_quantile(0.99, sum by (le, route) (rate(${h}_bucket${sel}[$__range])))`,
            },
          ],
          unit: "s",
          w: 18,
          h: 6,
        },
      ],
    },
    {
      title: "SLO status",
      panels: [
        {
          title: "Error budget remaining (gridpulse)",
          description:
            "Share of the error budget left over each SLO window, as gridpulse's stream worker computes it from exact event counts.",
          type: "bargauge",
          queries: [{ expr: `gridpulse_slo_error_budget_remaining{${svc}}`, legend: "{{slo}}" }],
          unit: "percentunit",
          min: -1,
          max: 1,
          thresholds: ["red", [0, "orange"], [0.25, "green"]],
        },
        {
          title: "Current burn rate (Prometheus rules)",
          description:
            "Error ratio over the shortest tier window divided by the error budget, from the generated recording rules.",
          queries: [{ expr: `slo:current_burn_rate:ratio{${svc}}`, legend: "{{slo}}" }],
          unit: "short",
          min: 0,
        },
      ],
    },
    {
      title: "Process",
      panels: [
        {
          title: "Event-loop lag p99",
          description: "Node event-loop delay (99th percentile) of the API process.",
          queries: [
            {
              expr: `nodejs_eventloop_lag_p99_seconds{job="gridpulse-api",${svc}}`,
              legend: "{{instance}}",
            },
          ],
          unit: "s",
          w: 8,
        },
        {
          title: "Resident memory",
          description: "Resident set size of the API process.",
          queries: [
            {
              expr: `process_resident_memory_bytes{job="gridpulse-api",${svc}}`,
              legend: "{{instance}}",
            },
          ],
          unit: "bytes",
          w: 8,
        },
        {
          title: "Telemetry events",
          description:
            "The API's own RequestEvents per second by outcome (delivered to Kafka or dropped).",
          queries: [
            {
              expr: `sum by (outcome) (rate(gridpulse_api_telemetry_events_total{job="gridpulse-api",${svc}}[$__rate_interval]))`,
              legend: "{{outcome}}",
            },
          ],
          unit: "short",
          w: 8,
        },
      ],
    },
  ],
};
