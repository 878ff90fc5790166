/**
 * The stream worker's Prometheus metrics: one registry per process, with Node's default process
 * metrics. Labels are topic names and reasons, never per-event values.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export function createStreamMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    eventsProcessed: new Counter({
      name: "gridpulse_stream_events_processed_total",
      help: "Valid events consumed and processed, by topic.",
      labelNames: ["topic"] as const,
      registers,
    }),
    eventsInvalid: new Counter({
      name: "gridpulse_stream_events_invalid_total",
      help: "Messages that failed to decode or validate and went to the dead-letter topic, by topic and reason.",
      labelNames: ["topic", "reason"] as const,
      registers,
    }),
    batchDuration: new Histogram({
      name: "gridpulse_stream_batch_duration_seconds",
      help: "Time to process one fetched batch, including dead-lettering and the offset commit.",
      labelNames: ["topic"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
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
    consumerJoined: new Gauge({
      name: "gridpulse_stream_consumer_joined",
      help: "1 while the consumer is a member of its group, else 0.",
      labelNames: ["group"] as const,
      registers,
    }),
  };
}

export type StreamMetrics = ReturnType<typeof createStreamMetrics>;
