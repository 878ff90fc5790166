/**
 * Notifications: webhook and Web Push deliveries by outcome, retry backlog, delivery latency and
 * disabled endpoints (the dispatcher's gridpulse_notify_* metrics).
 */
import type { DashboardSpec } from "../grafana.ts";

const ch = 'channel=~"$channel"';

export const notificationsDashboard: DashboardSpec = {
  uid: "gridpulse-notifications",
  title: "gridpulse / Notifications",
  description:
    "Alert notifications delivered as signed webhooks and Web Push messages: outcomes, retries, latency, disabled endpoints.",
  tags: ["notifications", "alerts"],
  variables: [
    { name: "service", label: "Service", query: "label_values(gridpulse_slo_events, service)" },
    {
      name: "route",
      label: "Route",
      query: 'label_values(gridpulse_latency_events{service=~"$service"}, route)',
    },
    {
      name: "channel",
      label: "Channel",
      query: "label_values(gridpulse_notify_deliveries_total, channel)",
    },
  ],
  rows: [
    {
      title: "Deliveries",
      panels: [
        {
          title: "Deliveries by outcome",
          description: "Delivery attempts per second by channel and outcome.",
          queries: [
            {
              expr: `sum by (channel, outcome) (rate(gridpulse_notify_deliveries_total{${ch}}[$__rate_interval]))`,
              legend: "{{channel}} {{outcome}}",
            },
          ],
          unit: "short",
          stacked: true,
          w: 16,
        },
        {
          title: "Retry backlog",
          description: "Deliveries waiting for a retry, by channel.",
          type: "stat",
          queries: [
            {
              expr: `sum by (channel) (gridpulse_notify_retry_backlog{${ch}})`,
              legend: "{{channel}}",
            },
          ],
          thresholds: ["green", [10, "orange"], [100, "red"]],
          w: 8,
        },
      ],
    },
    {
      title: "Latency and endpoints",
      panels: [
        {
          title: "Delivery latency",
          description:
            "p50 and p99 time from a notification's creation to its successful delivery, by channel.",
          queries: [
            {
              expr: `histogram_quantile(0.5, sum by (le, channel) (rate(gridpulse_notify_delivery_latency_seconds_bucket{${ch}}[$__rate_interval])))`,
              legend: "p50 {{channel}}",
            },
            {
              expr: `histogram_quantile(0.99, sum by (le, channel) (rate(gridpulse_notify_delivery_latency_seconds_bucket{${ch}}[$__rate_interval])))`,
              legend: "p99 {{channel}}",
            },
          ],
          unit: "s",
          w: 16,
        },
        {
          title: "Disabled endpoints",
          description:
            "Webhook endpoints and push subscriptions disabled after failing for too long or 410.",
          type: "stat",
          queries: [
            {
              expr: `sum by (channel) (gridpulse_notify_endpoints_disabled{${ch}})`,
              legend: "{{channel}}",
            },
          ],
          thresholds: ["green", [1, "orange"]],
          w: 8,
        },
      ],
    },
  ],
};
