/** Energy: assessments per day, class and climate-zone distribution, market prices, assessment latency. */
import { type DashboardSpec, rte, svc } from "../grafana.ts";

const assessments = 'gridpulse_assessments_total{job="gridpulse-api",service=~"$service"}';

export const energyDashboard: DashboardSpec = {
  uid: "gridpulse-energy",
  title: "gridpulse / Energy",
  description:
    "Building energy assessments (KENAK class, climate zone) and the market prices they are priced with.",
  tags: ["energy"],
  variables: [
    {
      name: "service",
      label: "Service",
      query: 'label_values(gridpulse_assessments_total{job="gridpulse-api"}, service)',
    },
    {
      name: "route",
      label: "Route",
      query:
        'label_values(gridpulse_api_request_duration_seconds_count{job="gridpulse-api",service=~"$service",route=~"/v1/assessments.*"}, route)',
    },
  ],
  rows: [
    {
      title: "Assessments",
      panels: [
        {
          title: "Assessments per day",
          description: "Assessments computed and stored in the last 24 hours.",
          type: "stat",
          queries: [{ expr: `sum(increase(${assessments}[1d]))`, legend: "last 24 h" }],
          unit: "short",
          w: 6,
        },
        {
          title: "Assessments per hour",
          description: "Assessments stored per hour over time.",
          queries: [{ expr: `sum(increase(${assessments}[1h]))`, legend: "per hour" }],
          unit: "short",
          w: 18,
        },
        {
          title: "Energy class distribution",
          description: "KENAK energy classes of the assessments in the selected range.",
          type: "piechart",
          queries: [
            {
              expr: `sum by (energy_class) (increase(${assessments}[$__range]))`,
              legend: "{{energy_class}}",
            },
          ],
          unit: "short",
        },
        {
          title: "Assessments by climate zone",
          description: "Assessments in the selected range by climate zone (A to D).",
          type: "bargauge",
          queries: [
            {
              expr: `sum by (climate_zone) (increase(${assessments}[$__range]))`,
              legend: "zone {{climate_zone}}",
            },
          ],
          unit: "short",
        },
      ],
    },
    {
      title: "Market prices",
      panels: [
        {
          title: "Retail energy prices",
          description:
            "Latest price per carrier and region (national when no regional price exists) that assessments use.",
          queries: [
            {
              expr: 'gridpulse_market_price_eur_per_kwh{job="gridpulse-api"}',
              legend: "{{carrier}} {{region}}",
            },
          ],
          unit: "currencyEUR",
          w: 16,
        },
        {
          title: "Prices now",
          description: "The latest price per carrier and region.",
          type: "table",
          queries: [{ expr: 'gridpulse_market_price_eur_per_kwh{job="gridpulse-api"}' }],
          unit: "currencyEUR",
          w: 8,
        },
      ],
    },
    {
      title: "Assessment requests",
      panels: [
        {
          title: "Assessment latency p99",
          description:
            "99th percentile duration of the assessment routes (computation and storage).",
          queries: [
            {
              expr: `histogram_quantile(0.99, sum by (le, route) (rate(gridpulse_api_request_duration_seconds_bucket{job="gridpulse-api",${svc},${rte}}[$__rate_interval])))`,
              legend: "{{route}}",
            },
          ],
          unit: "s",
        },
        {
          title: "Rejected assessment inputs",
          description: "Assessment requests answered 4xx per second (invalid homes, auth).",
          queries: [
            {
              expr: `sum by (route, status) (rate(gridpulse_api_request_duration_seconds_count{job="gridpulse-api",${svc},${rte},status=~"4.."}[$__rate_interval])) or vector(0)`,
              legend: "{{route}} {{status}}",
            },
          ],
          unit: "reqps",
        },
      ],
    },
  ],
};
