/**
 * Prometheus metrics of the alert evaluator, on the stream worker's registry. Labels are bounded:
 * transition phases, severities (page, ticket, info), channels and error kinds.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

const durationBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const alertErrorKinds = [
  "tenant",
  "rule",
  "slo",
  "input",
  "silence",
  "policy",
  "push_filter",
  "lease",
  "produce",
] as const;
export type AlertErrorKind = (typeof alertErrorKinds)[number];

export function createAlertMetrics(registers: Registry[]) {
  return {
    evaluationDuration: new Histogram({
      name: "gridpulse_alert_evaluation_duration_seconds",
      help: "Time of one alert evaluation tick over every tenant (read, evaluate, plan, write), while holding the lease.",
      buckets: durationBuckets,
      registers,
    }),
    transitions: new Counter({
      name: "gridpulse_alert_transitions_total",
      help: "Committed alert state transitions, by the phase entered (pending, firing, resolved, inactive).",
      labelNames: ["to"] as const,
      registers,
    }),
    firing: new Gauge({
      name: "gridpulse_alerts_firing",
      help: "Firing alerts over all tenants after the last evaluation, by severity (0 on a process without the lease).",
      labelNames: ["severity"] as const,
      registers,
    }),
    notificationsPlanned: new Counter({
      name: "gridpulse_alert_notifications_planned_total",
      help: "Notifications planned (committed with the alert states), whatever the number of targets.",
      registers,
    }),
    outboxRows: new Counter({
      name: "gridpulse_alert_outbox_rows_total",
      help: "Outbox rows written for planned notifications, by channel (a replayed row counts again but is not inserted twice).",
      labelNames: ["channel"] as const,
      registers,
    }),
    tenantsEvaluated: new Gauge({
      name: "gridpulse_alert_tenants_evaluated",
      help: "Tenants evaluated by the last tick (those with rules, SLOs or alerts left; 0 on a process without the lease).",
      registers,
    }),
    leaseHeld: new Gauge({
      name: "gridpulse_alert_evaluator_lease_held",
      help: "1 while this process holds the alert evaluator lease (transitions relay, history pruning), else 0.",
      registers,
    }),
    shardsHeld: new Gauge({
      name: "gridpulse_alert_shards_held",
      help: "Alert evaluation shards this process holds (evaluates the tenants of).",
      registers,
    }),
    errors: new Counter({
      name: "gridpulse_alert_evaluation_errors_total",
      help: "Alert evaluation problems by kind: a tenant step failed, a stored rule/SLO/silence/policy/push filter is invalid, an input could not be read, the lease was lost at commit, transitions could not be produced.",
      labelNames: ["kind"] as const,
      registers,
    }),
  };
}

export type AlertMetrics = ReturnType<typeof createAlertMetrics>;
