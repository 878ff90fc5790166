/**
 * The stream worker's Prometheus metrics: one registry per process, with Node's default process
 * metrics (but for the three gauges prom-client names `nodejs_active_*_total`). Labels are bounded: topics, partitions, reasons, stages, SLO ids, market event kinds and
 * outcomes, and for latency the services and at most `topRoutes` routes per service.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { collectProcessMetrics } from "../../platform/metrics.ts";

const durationBuckets = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export function createStreamMetrics() {
  const registry = new Registry();
  collectProcessMetrics(registry);
  const registers = [registry];
  return {
    registry,
    eventsProcessed: new Counter({
      name: "gridpulse_stream_events_processed_total",
      help: "Valid RequestEvents aggregated by stage 1, by topic.",
      labelNames: ["topic"] as const,
      registers,
    }),
    eventsInvalid: new Counter({
      name: "gridpulse_stream_events_invalid_total",
      help: "Messages that failed to decode or validate and went to the dead-letter topic, by topic and reason.",
      labelNames: ["topic", "reason"] as const,
      registers,
    }),
    eventsLate: new Counter({
      name: "gridpulse_stream_events_late_total",
      help: "Events older than the partition watermark minus the allowed lateness; sent to the dead-letter topic with reason late_event.",
      labelNames: ["topic"] as const,
      registers,
    }),
    eventsAccumulated: new Gauge({
      name: "gridpulse_stream_events_accumulated",
      help: "Messages stage 1 has folded into its in-memory aggregations and not committed yet (waiting for the commit interval, or in a transaction now), by topic.",
      labelNames: ["topic"] as const,
      registers,
    }),
    partials: new Counter({
      name: "gridpulse_stream_partial_aggregates_total",
      help: "Partial aggregates produced by stage 1 and applied by stage 2.",
      labelNames: ["direction"] as const,
      registers,
    }),
    replaysSkipped: new Counter({
      name: "gridpulse_stream_replays_skipped_total",
      help: "Messages handed in again after their slice had committed (a batch retried after a later slice failed, or a stale committed offset after a rejoin), skipped by stage.",
      labelNames: ["stage"] as const,
      registers,
    }),
    batchDuration: new Histogram({
      name: "gridpulse_stream_batch_duration_seconds",
      help: "Time to process one fetched batch, including its transaction, by stage.",
      labelNames: ["stage"] as const,
      buckets: durationBuckets,
      registers,
    }),
    transactionDuration: new Histogram({
      name: "gridpulse_stream_transaction_duration_seconds",
      help: "Commit time of the transaction holding a batch's effects and offsets (stage 1: Kafka, stage 2: libSQL).",
      labelNames: ["stage"] as const,
      buckets: durationBuckets,
      registers,
    }),
    consumerLag: new Gauge({
      name: "gridpulse_stream_consumer_lag",
      help: "Messages between the end of the last processed batch and the partition's high watermark.",
      labelNames: ["group", "topic", "partition"] as const,
      registers,
    }),
    consumerJoined: new Gauge({
      name: "gridpulse_stream_consumer_joined",
      help: "1 while the consumer is a member of its group, else 0.",
      labelNames: ["group"] as const,
      registers,
    }),
    seriesOverflow: new Counter({
      name: "gridpulse_stream_series_overflow_total",
      help: "Events stored under route __other__ because their service already has STREAM_MAX_ROUTES_PER_SERVICE routes, by service.",
      labelNames: ["service"] as const,
      registers,
    }),
    marketEvents: new Counter({
      name: "gridpulse_market_events_total",
      help: "Valid market events consumed, by kind and outcome: applied (the latest of its price or program, or a regulation), superseded (kept in the history; a newer one is the latest), duplicate (event id seen before; nothing written).",
      labelNames: ["kind", "outcome"] as const,
      registers,
    }),
    ingestRequests: new Counter({
      name: "gridpulse_stream_ingest_requests_total",
      help: "Requests to the telemetry ingest endpoint, by outcome.",
      labelNames: ["outcome"] as const,
      registers,
    }),
    ingestEvents: new Counter({
      name: "gridpulse_stream_ingest_events_total",
      help: "Events received by the ingest endpoint: accepted (produced to Kafka) or rejected (invalid).",
      labelNames: ["outcome"] as const,
      registers,
    }),
    sloBurnRate: new Gauge({
      name: "gridpulse_slo_burn_rate",
      help: "Error ratio over the window divided by the error budget (1 - objective); absent without data.",
      labelNames: ["slo_id", "slo", "service", "window"] as const,
      registers,
    }),
    sloEvents: new Gauge({
      name: "gridpulse_slo_events",
      help: "Events counted by the SLO in each window (exact).",
      labelNames: ["slo_id", "slo", "service", "window"] as const,
      registers,
    }),
    sloBudgetRemaining: new Gauge({
      name: "gridpulse_slo_error_budget_remaining",
      help: "Share of the error budget left over the SLO window (1 untouched, 0 spent, negative overspent).",
      labelNames: ["slo_id", "slo", "service"] as const,
      registers,
    }),
    sloTierFiring: new Gauge({
      name: "gridpulse_slo_tier_firing",
      help: "1 while both windows of the tier burn strictly above its factor with enough events.",
      labelNames: ["slo_id", "slo", "service", "tier", "severity"] as const,
      registers,
    }),
    latency: new Gauge({
      name: "gridpulse_latency_seconds",
      help: 'Latency quantiles from merged HDR histograms, per service (route="*") and top routes, by window.',
      labelNames: ["service", "route", "window", "quantile"] as const,
      registers,
    }),
    latencyEvents: new Gauge({
      name: "gridpulse_latency_events",
      help: "Events behind each latency quantile series.",
      labelNames: ["service", "route", "window"] as const,
      registers,
    }),
  };
}

export type StreamMetrics = ReturnType<typeof createStreamMetrics>;
