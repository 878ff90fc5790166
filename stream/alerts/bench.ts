/**
 * `node stream/alerts/bench.ts [tenants]`: how long one alert evaluation tick takes over N tenants
 * (each with a fast-burn SLO, a latency rule over one of 20 shared services, a policy and a webhook)
 * on a libSQL file: the first tick (every alert fires: transitions, groups, outbox rows) and steady
 * ticks (nothing changes: read and evaluate only). Bounded: a few seconds for 500 tenants.
 */
import { Registry } from "prom-client";
import { createLogger } from "../../core/observability/logger.ts";
import { createAlertStage } from "./alerts.stage.ts";
import { createAlertMetrics } from "./metrics.ts";
import {
  fastBurnSlo,
  insertFastPolicy,
  insertMinute,
  insertRule,
  insertSlo,
  insertTenant,
  insertWebhook,
  memoryKafka,
  memoryRelay,
  openTestDatabase,
} from "./testing.ts";

const tenants = Number(process.argv[2] ?? 100);
const services = 20;
const t = await openTestDatabase();
const nowMs = Date.now();
for (let i = 0; i < tenants; i++) {
  const id = `ten_${i}`;
  const service = `svc-${i % services}`;
  await insertTenant(t.db, id);
  await insertSlo(t.db, id, `slo_${i}`, fastBurnSlo(service));
  await insertRule(t.db, id, {
    id: `rul_${i}`,
    name: "Slow",
    kind: "latency_threshold",
    severity: "ticket",
    params: { service, quantile: "p99", window: "5m", thresholdMs: 500 },
  });
  await insertFastPolicy(t.db, id);
  await insertWebhook(t.db, id, `whe_${i}`);
}
// Half of the services are down and slow: their tenants' alerts fire.
for (let s = 0; s < services; s++) {
  await insertMinute(t.db, {
    service: `svc-${s}`,
    route: "/a",
    bucketStartMs: nowMs - (nowMs % 60_000),
    durationsMs: Array(100).fill(s % 2 ? 900 : 10),
    bad: s % 2 ? 100 : 0,
  });
}
// Kafka at the module boundary (in memory): the relay's database work is measured, not the broker.
const kafka = memoryKafka();
const stage = createAlertStage({
  db: t.db,
  relay: memoryRelay(t.client, kafka.kafka),
  metrics: createAlertMetrics([new Registry()]),
  logger: createLogger({ service: "bench", level: "silent" }),
  now: Date.now,
  intervalMs: 1000,
  leaseMs: 15_000,
});
for (const label of ["first tick (all fire)", "steady tick", "steady tick"]) {
  const startMs = performance.now();
  await stage.tick();
  const ms = performance.now() - startMs;
  console.log(
    `${tenants} tenants, ${label}: ${ms.toFixed(0)} ms (${(ms / tenants).toFixed(2)} ms per tenant), transitions published so far: ${kafka.state.sent.length}`,
  );
}
await stage.stop();
t.close();
