/**
 * Prometheus metrics of notification delivery. Names are fixed (dashboards and alert rules use
 * them); labels are bounded: channel (the registered channels, channels/registry.ts: webhook, push)
 * and outcome (see AttemptOutcome).
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

const attemptBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30];
// From the notification's creation to its delivery: seconds for first attempts, hours for retries.
const latencyBuckets = [
  0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200, 36_000, 100_000,
];

export function createNotifyMetrics(registers: Registry[]) {
  return {
    deliveries: new Counter({
      name: "gridpulse_notify_deliveries_total",
      help: "Notification delivery attempts by channel and outcome (delivered, retry, failed, disable_endpoint, delete_subscription, blocked, invalid).",
      labelNames: ["channel", "outcome"] as const,
      registers,
    }),
    retryBacklog: new Gauge({
      name: "gridpulse_notify_retry_backlog",
      help: "Notifications waiting for a retry, by channel.",
      labelNames: ["channel"] as const,
      registers,
    }),
    deliveryLatency: new Histogram({
      name: "gridpulse_notify_delivery_latency_seconds",
      help: "Time from a notification's creation to its successful delivery, by channel.",
      labelNames: ["channel"] as const,
      buckets: latencyBuckets,
      registers,
    }),
    endpointsDisabled: new Gauge({
      name: "gridpulse_notify_endpoints_disabled",
      help: "Webhook endpoints disabled (410 or failing too long) and push subscriptions pending deletion, by channel.",
      labelNames: ["channel"] as const,
      registers,
    }),
    attemptDuration: new Histogram({
      name: "gridpulse_notify_attempt_duration_seconds",
      help: "Duration of one delivery attempt (connect, send, full response), by channel.",
      labelNames: ["channel"] as const,
      buckets: attemptBuckets,
      registers,
    }),
  };
}

export type NotifyMetrics = ReturnType<typeof createNotifyMetrics>;

/** Counts one attempt; the delivery latency only when delivered and the creation time is known. */
export function recordAttempt(
  metrics: NotifyMetrics | undefined,
  channel: string,
  attempt: { outcome: string; durationMs: number; attemptedAtMs: number },
  createdAtMs: number | undefined,
): void {
  if (!metrics) return;
  metrics.deliveries.inc({ channel, outcome: attempt.outcome });
  if (attempt.outcome === "blocked" || attempt.outcome === "invalid") return;
  metrics.attemptDuration.observe({ channel }, attempt.durationMs / 1000);
  if (attempt.outcome === "delivered" && createdAtMs !== undefined) {
    const seconds = (attempt.attemptedAtMs + attempt.durationMs - createdAtMs) / 1000;
    metrics.deliveryLatency.observe({ channel }, Math.max(0, seconds));
  }
}
