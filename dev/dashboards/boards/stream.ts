/**
 * The stream worker dashboard: throughput per stage, consumer lag per partition, dead letters and late
 * events, batch and commit times, ingest, service latency from the merged HDR histograms, and the
 * alert evaluator (tick time, tenants, transitions, lease holder).
 */
import { type DashboardSpec, rte, svc } from "../grafana.ts";

const job = 'job="gridpulse-stream"';
const quantiles = (metric: string, q: number) =>
  `histogram_quantile(${q}, sum by (le, stage) (rate(${metric}_bucket{${job}}[$__rate_interval])))`;

export const streamDashboard: DashboardSpec = {
  uid: "gridpulse-stream",
  title: "gridpulse / Stream worker",
  description:
    "Stage 1 (aggregate) and stage 2 (evaluate) of the stream worker: throughput, lag, dead letters, batch and commit times, and the service latency it computes.",
  tags: ["stream"],
  variables: [
    { name: "service", label: "Service", query: "label_values(gridpulse_latency_events, service)" },
    {
      name: "route",
      label: "Route",
      query: `label_values(gridpulse_latency_events{${svc}}, route)`,
    },
  ],
  rows: [
    {
      title: "Throughput",
      panels: [
        {
          title: "Stage 1: events aggregated per second",
          description: "Valid RequestEvents aggregated by stage 1, per source topic.",
          queries: [
            {
              expr: `sum by (topic) (rate(gridpulse_stream_events_processed_total{${job}}[$__rate_interval]))`,
              legend: "{{topic}}",
            },
          ],
          unit: "short",
          w: 8,
        },
        {
          title: "Partial aggregates per second",
          description:
            "Partial aggregates produced by stage 1 and applied by stage 2 (equal rates when stage 2 keeps up).",
          queries: [
            {
              expr: `sum by (direction) (rate(gridpulse_stream_partial_aggregates_total{${job}}[$__rate_interval]))`,
              legend: "{{direction}}",
            },
          ],
          unit: "short",
          w: 8,
        },
        {
          title: "Ingest endpoint",
          description:
            "Requests to POST /v1/ingest/requests (telemetry from the API on Workers) by outcome, and events accepted or rejected.",
          queries: [
            {
              expr: `sum by (outcome) (rate(gridpulse_stream_ingest_requests_total{${job}}[$__rate_interval]))`,
              legend: "requests {{outcome}}",
            },
            {
              expr: `sum by (outcome) (rate(gridpulse_stream_ingest_events_total{${job}}[$__rate_interval]))`,
              legend: "events {{outcome}}",
            },
          ],
          unit: "short",
          w: 8,
        },
      ],
    },
    {
      title: "Consumers",
      panels: [
        {
          title: "Consumer lag per partition",
          description:
            "Messages between the end of the last processed batch and the partition's high watermark.",
          queries: [
            {
              expr: `sum by (group, topic, partition) (gridpulse_stream_consumer_lag{${job}})`,
              legend: "{{group}} {{topic}}[{{partition}}]",
            },
          ],
          unit: "short",
          min: 0,
          w: 16,
        },
        {
          title: "Group membership",
          description: "1 while the stage's consumer is a member of its group.",
          type: "stat",
          queries: [
            {
              expr: `max by (group) (gridpulse_stream_consumer_joined{${job}})`,
              legend: "{{group}}",
            },
          ],
          thresholds: ["red", [1, "green"]],
          w: 8,
        },
      ],
    },
    {
      title: "Dead letters and late events",
      panels: [
        {
          title: "Dead-lettered messages by reason",
          description:
            "Messages that failed to decode or validate and went to the dead-letter topic, per second, by topic and reason.",
          queries: [
            {
              expr: `sum by (topic, reason) (rate(gridpulse_stream_events_invalid_total{${job}}[$__rate_interval]))`,
              legend: "{{topic}} {{reason}}",
            },
          ],
          unit: "short",
        },
        {
          title: "Late events",
          description:
            "Events older than the partition watermark minus the allowed lateness (dead-lettered as late_event), per second.",
          queries: [
            {
              expr: `sum by (topic) (rate(gridpulse_stream_events_late_total{${job}}[$__rate_interval]))`,
              legend: "{{topic}}",
            },
          ],
          unit: "short",
        },
      ],
    },
    {
      title: "Batches and commits",
      panels: [
        {
          title: "Batch processing time",
          description:
            "p50 and p99 time to process one fetched batch, transaction included, by stage.",
          queries: [
            {
              expr: quantiles("gridpulse_stream_batch_duration_seconds", 0.5),
              legend: "p50 {{stage}}",
            },
            {
              expr: quantiles("gridpulse_stream_batch_duration_seconds", 0.99),
              legend: "p99 {{stage}}",
            },
          ],
          unit: "s",
        },
        {
          title: "Commit time",
          description:
            "p50 and p99 commit time of the transaction holding a batch's effects and offsets (stage 1: Kafka, stage 2: libSQL).",
          queries: [
            {
              expr: quantiles("gridpulse_stream_transaction_duration_seconds", 0.5),
              legend: "p50 {{stage}}",
            },
            {
              expr: quantiles("gridpulse_stream_transaction_duration_seconds", 0.99),
              legend: "p99 {{stage}}",
            },
          ],
          unit: "s",
        },
        {
          title: "Batches per second",
          description: "Batches processed per second by stage.",
          queries: [
            {
              expr: `sum by (stage) (rate(gridpulse_stream_batch_duration_seconds_count{${job}}[$__rate_interval]))`,
              legend: "{{stage}}",
            },
          ],
          unit: "short",
        },
      ],
    },
    {
      title: "Service latency (from telemetry)",
      panels: [
        {
          title: "p99 latency over 5 minutes",
          description:
            "p99 from the merged HDR histograms per service (route *) and its busiest routes, over the last 5 minutes.",
          queries: [
            {
              expr: `gridpulse_latency_seconds{${svc},${rte},window="5m",quantile="p99"}`,
              legend: "{{service}} {{route}}",
            },
          ],
          unit: "s",
        },
        {
          title: "Events per minute behind the quantiles",
          description: "Events in the last minute per service and route.",
          queries: [
            {
              expr: `gridpulse_latency_events{${svc},${rte},window="1m"}`,
              legend: "{{service}} {{route}}",
            },
          ],
          unit: "short",
        },
      ],
    },
    {
      title: "Alert evaluator",
      panels: [
        {
          title: "Evaluation tick duration",
          description:
            "p50 and p99 of one alert evaluation tick over every tenant (read, evaluate, plan, write), on the lease holder.",
          queries: [
            {
              expr: `histogram_quantile(0.5, sum by (le) (rate(gridpulse_alert_evaluation_duration_seconds_bucket{${job}}[$__rate_interval])))`,
              legend: "p50",
            },
            {
              expr: `histogram_quantile(0.99, sum by (le) (rate(gridpulse_alert_evaluation_duration_seconds_bucket{${job}}[$__rate_interval])))`,
              legend: "p99",
            },
          ],
          unit: "s",
          w: 8,
        },
        {
          title: "Tenants evaluated per tick",
          description: "Tenants with rules, SLOs or alerts left that the last tick evaluated.",
          queries: [{ expr: `sum(gridpulse_alert_tenants_evaluated{${job}})`, legend: "tenants" }],
          unit: "short",
          w: 8,
        },
        {
          title: "Lease holder",
          description:
            "Which stream worker holds the alert evaluator lease (1); exactly one should, except for a lease period after the holder dies.",
          type: "stat",
          queries: [
            {
              expr: `max by (instance) (gridpulse_alert_evaluator_lease_held{${job}})`,
              legend: "{{instance}}",
            },
          ],
          thresholds: ["text", [1, "green"]],
          w: 8,
        },
        {
          title: "Alert transitions per second",
          description: "Committed alert state transitions, by the phase entered.",
          queries: [
            {
              expr: `sum by (to) (rate(gridpulse_alert_transitions_total{${job}}[$__rate_interval]))`,
              legend: "{{to}}",
            },
          ],
          unit: "short",
          w: 12,
        },
        {
          title: "Firing alerts and outbox rows",
          description:
            "Firing alerts by severity after the last tick, and outbox rows written per second by channel.",
          queries: [
            {
              expr: `sum by (severity) (gridpulse_alerts_firing{${job}})`,
              legend: "firing {{severity}}",
            },
            {
              expr: `sum by (channel) (rate(gridpulse_alert_outbox_rows_total{${job}}[$__rate_interval]))`,
              legend: "outbox {{channel}}/s",
            },
          ],
          unit: "short",
          w: 12,
        },
      ],
    },
    {
      title: "Process",
      panels: [
        {
          title: "Event-loop lag p99",
          description: "Node event-loop delay (99th percentile) of the stream worker.",
          queries: [{ expr: `nodejs_eventloop_lag_p99_seconds{${job}}`, legend: "{{instance}}" }],
          unit: "s",
        },
        {
          title: "Memory",
          description: "Resident set size and V8 heap in use of the stream worker.",
          queries: [
            { expr: `process_resident_memory_bytes{${job}}`, legend: "rss {{instance}}" },
            { expr: `nodejs_heap_size_used_bytes{${job}}`, legend: "heap {{instance}}" },
          ],
          unit: "bytes",
        },
      ],
    },
  ],
};
