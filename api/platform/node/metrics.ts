/**
 * Node-only: the API's Prometheus metrics (prom-client) — request duration by route pattern, method and
 * status, in-flight requests, rate-limited requests, telemetry delivery, and Node's process metrics
 * (event-loop lag included). Served on their own loopback port, not on the public API port.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { RequestMetrics } from "../../observe/request-metrics.ts";

export function createApiMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  const registers = [registry];
  const duration = new Histogram({
    name: "gridpulse_api_request_duration_seconds",
    help: "API request duration by route pattern, method and status.",
    labelNames: ["route", "method", "status"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const inFlight = new Gauge({
    name: "gridpulse_api_requests_in_flight",
    help: "Requests being served.",
    registers,
  });
  const rateLimited = new Counter({
    name: "gridpulse_api_rate_limited_total",
    help: "Requests refused with 429 by the per-key rate limit.",
    registers,
  });
  const telemetry = new Counter({
    name: "gridpulse_api_telemetry_events_total",
    help: "The API's own RequestEvents, by outcome (delivered, dropped_buffer_full, dropped_send_failed).",
    labelNames: ["outcome"] as const,
    registers,
  });
  const requestMetrics: RequestMetrics = {
    started: () => inFlight.inc(),
    finished: ({ route, method, status }, durationS) => {
      inFlight.dec();
      duration.observe({ route, method, status: String(status) }, durationS);
    },
    rateLimited: () => rateLimited.inc(),
  };
  return { registry, requestMetrics, telemetry };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;
