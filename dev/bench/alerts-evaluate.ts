/**
 * Rough cost of one evaluation and one plan: `node dev/bench/alerts-evaluate.ts [alerts]` (default 10000).
 * Latency rules that all fire (grouped by 50 teams), then SLO page/ticket pairs with inhibition.
 */
import type { AlertState } from "../../core/alerts/evaluate.ts";
import {
  alertFingerprint,
  evaluate,
  type NotificationGroup,
  parseAlertRule,
  plan,
  routeSchema,
} from "../../core/alerts/index.ts";

const n = Number(process.argv[2] ?? 10_000);
const rounds = 10;
const rules = Array.from({ length: n }, (_, i) =>
  parseAlertRule({
    id: `r${i}`,
    name: "Slow",
    kind: "latency_threshold",
    severity: i % 2 ? "page" : "ticket",
    labels: { team: `t${i % 50}` },
    params: { service: `svc${i}`, quantile: "p99", window: "5m", thresholdMs: 300 },
  }),
);
const latency = rules.map((_, i) => ({
  service: `svc${i}`,
  route: null,
  window: "5m" as const,
  quantiles: { count: 100, p50: 1, p90: 1, p95: 1, p99: 400, p999: 400 },
}));
const route = routeSchema.parse({ group_by: ["team"], group_wait: 0 });

function timePerCall(fn: (k: number) => void) {
  const start = performance.now();
  for (let k = 1; k <= rounds; k++) fn(k);
  return ((performance.now() - start) / rounds).toFixed(1);
}

let states = evaluate({ now: 0, rules, inputs: { latency }, states: [] }).states;
const evalMs = timePerCall((k) => {
  states = evaluate({ now: k * 10_000, rules, inputs: { latency }, states }).states;
});
let groups: NotificationGroup[] = [];
const planMs = timePerCall((k) => {
  groups = plan({ now: k * 10_000, alerts: states, groups, route, silences: [] }).groups;
});

const sloAlerts: AlertState[] = Array.from({ length: n }, (_, i) => {
  const labels = {
    alertname: "SloErrorBudgetBurn",
    severity: i % 2 ? "page" : "ticket",
    slo_id: `slo${i >> 1}`,
    team: `t${i % 50}`,
  };
  return {
    fingerprint: alertFingerprint("r", labels),
    ruleId: "r",
    status: "firing",
    labels,
    annotations: {},
    value: 1,
    activeAtMs: 0,
    firedAtMs: 0,
    resolvedAtMs: null,
    keepFiringSinceMs: null,
    edge: false,
    acknowledgedAtMs: null,
    acknowledgedBy: null,
  };
});
let sloGroups: NotificationGroup[] = [];
const inhibitMs = timePerCall((k) => {
  sloGroups = plan({
    now: k * 10_000,
    alerts: sloAlerts,
    groups: sloGroups,
    route,
    silences: [],
  }).groups;
});
console.log(
  `${n} alerts: evaluate ${evalMs} ms, plan ${planMs} ms, plan with ${n / 2} inhibited tickets ${inhibitMs} ms (per call, mean of ${rounds})`,
);
