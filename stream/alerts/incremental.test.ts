/**
 * Incremental evaluation equals full evaluation: two libSQL files receive the same random sequence of
 * request windows, price events (some dated ahead), rule, SLO, silence, policy and acknowledgement
 * edits and clock advances (from 200 ms to past a group_interval, keep_firing_for and the resolved
 * retention); one stage evaluates every tenant at every tick, the other only due tenants. After every
 * tick both databases hold the same alert states, groups, outbox rows (ids, idempotency keys,
 * payloads) and history, and both published the same transitions.
 */

import fc from "fast-check";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { alertRuleSchema } from "../../core/alerts/index.ts";
import { type Database, libsqlClient } from "../../core/db/database.ts";
import { notificationPolicies, requestMinutes, silences } from "../../core/db/schema/index.ts";
import {
  encodeHistogram,
  newLatencyHistogram,
  recordDurationMs,
} from "../../core/latency/histogram.ts";
import { createLogger } from "../../core/observability/logger.ts";
import { createAlertStage } from "./alerts.stage.ts";
import { createAlertMetrics } from "./metrics.ts";
import {
  fastBurnSlo,
  insertMarketEvent,
  insertRule,
  insertSlo,
  insertTenant,
  insertWebhook,
  memoryKafka,
  memoryRelay,
  openTestDatabase,
  priceEvent,
} from "./testing.ts";

const t0 = Date.UTC(2026, 10, 30, 12, 0, 7);
const tenants = ["ten_a", "ten_b", "ten_c"] as const;
const serviceOf = (i: number) => (i < 2 ? "svc-0" : "svc-1");

type Op =
  | { kind: "advance"; ms: number }
  | { kind: "window"; service: number; total: number; bad: number; slowMs: number; ageMin: number }
  | { kind: "price"; value: number; offsetMs: number }
  | { kind: "rule"; tenant: number; thresholdMs: number; forMs: number; keepMs: number }
  | { kind: "toggle"; tenant: number }
  | { kind: "slo"; tenant: number; present: boolean }
  | { kind: "silence"; tenant: number; startInMs: number; lengthMs: number; alertname: string }
  | { kind: "ack"; tenant: number }
  | { kind: "policy"; tenant: number; waitMs: number; intervalMs: number; repeatMs: number };

const tenantIx = fc.integer({ min: 0, max: tenants.length - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant("advance" as const),
      ms: fc.oneof(
        fc.constantFrom(200, 300, 500, 700, 1000, 1000, 2500, 5000, 60_000, 301_000, 960_000),
        fc.integer({ min: 1, max: 120_000 }),
      ),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("window" as const),
      service: fc.integer({ min: 0, max: 1 }),
      total: fc.integer({ min: 0, max: 400 }),
      bad: fc.integer({ min: 0, max: 400 }),
      slowMs: fc.constantFrom(5, 50, 900, 2000),
      ageMin: fc.constantFrom(0, 0, 0, 1, 3),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("price" as const),
      value: fc.constantFrom(0.05, 0.1, 0.2, 0.35),
      offsetMs: fc.integer({ min: -400_000, max: 20_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("rule" as const),
      tenant: tenantIx,
      thresholdMs: fc.constantFrom(10, 100, 1000),
      forMs: fc.constantFrom(0, 1500, 4000),
      keepMs: fc.constantFrom(0, 2000, 70_000),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("toggle" as const), tenant: tenantIx }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("slo" as const),
      tenant: tenantIx,
      present: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("silence" as const),
      tenant: tenantIx,
      startInMs: fc.constantFrom(0, 1500, 10_000),
      lengthMs: fc.constantFrom(1000, 4000, 100_000),
      alertname: fc.constantFrom("SloErrorBudgetBurn", "Slow", "PriceJump"),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("ack" as const), tenant: tenantIx }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("policy" as const),
      tenant: tenantIx,
      waitMs: fc.constantFrom(0, 1000, 3000),
      intervalMs: fc.constantFrom(1000, 2500, 60_000),
      repeatMs: fc.constantFrom(5000, 3_600_000),
    }),
  },
);

const latencyRule = (
  op: { thresholdMs: number; forMs: number; keepMs: number },
  service: string,
) => ({
  id: "", // set per tenant
  name: "Slow",
  kind: "latency_threshold" as const,
  severity: "ticket" as const,
  for: op.forMs,
  keep_firing_for: op.keepMs,
  params: { service, quantile: "p99" as const, window: "5m" as const, thresholdMs: op.thresholdMs },
});

async function seed(db: Database) {
  for (const [i, id] of tenants.entries()) {
    await insertTenant(db, id);
    await insertSlo(db, id, `slo_${id}`, fastBurnSlo(serviceOf(i)));
    await insertRule(db, id, {
      ...latencyRule({ thresholdMs: 100, forMs: 1500, keepMs: 2000 }, serviceOf(i)),
      id: `lat_${id}`,
    });
    await insertRule(db, id, {
      id: `pri_${id}`,
      name: "PriceJump",
      kind: "market_price",
      severity: i === 0 ? "page" : "info",
      keep_firing_for: 1000,
      params: {
        carrier: "electricity",
        condition: { op: "change_pct", window: "5m", pct: 50, direction: "either" },
      },
    });
    await setPolicy(db, id, { waitMs: 0, intervalMs: 1000, repeatMs: 5000 });
    await insertWebhook(db, id, `whe_${id}`);
  }
}

async function setPolicy(
  db: Database,
  tenantId: string,
  p: { waitMs: number; intervalMs: number; repeatMs: number },
) {
  const route = {
    id: "default",
    group_by: ["alertname", "slo_id"],
    group_wait: p.waitMs,
    group_interval: p.intervalMs,
    repeat_interval: p.repeatMs,
    send_resolved: true,
    escalate_immediately: true,
  };
  await db
    .insert(notificationPolicies)
    .values({ id: `pol_${tenantId}`, tenantId, route, inhibitRules: null, updatedAtMs: 0 })
    .onConflictDoUpdate({ target: notificationPolicies.id, set: { route } });
}

async function apply(db: Database, op: Op, nowMs: number, n: number) {
  switch (op.kind) {
    case "window": {
      const h = newLatencyHistogram();
      const bad = Math.min(op.bad, op.total);
      for (let i = 0; i < op.total; i++) recordDurationMs(h, i % 2 ? op.slowMs : 5);
      const histogram = encodeHistogram(h);
      h.destroy();
      const row = {
        service: `svc-${op.service}`,
        route: "/a",
        bucketStartMs: nowMs - (nowMs % 60_000) - op.ageMin * 60_000,
        total: op.total,
        good: op.total - bad,
        goodWithin: {},
        histogram,
        updatedAtMs: nowMs,
      };
      await db
        .insert(requestMinutes)
        .values(row)
        .onConflictDoUpdate({
          target: [requestMinutes.service, requestMinutes.route, requestMinutes.bucketStartMs],
          set: { total: row.total, good: row.good, histogram, updatedAtMs: nowMs },
        });
      return;
    }
    case "price":
      await insertMarketEvent(db, priceEvent(`p${n}`, nowMs + op.offsetMs, op.value));
      return;
    case "rule": {
      const id = tenants[op.tenant] as string;
      const rule = { ...latencyRule(op, serviceOf(op.tenant)), id: `lat_${id}` };
      await execute(db, "update alert_rules set rule = ?, updated_at_ms = ? where id = ?", [
        JSON.stringify(alertRuleSchema.parse(rule)),
        nowMs,
        `lat_${id}`,
      ]);
      return;
    }
    case "toggle":
      await execute(db, "update alert_rules set enabled = 1 - enabled where id = ?", [
        `lat_${tenants[op.tenant]}`,
      ]);
      return;
    case "slo": {
      const id = tenants[op.tenant] as string;
      await execute(db, "delete from slos where id = ?", [`slo_${id}`]);
      if (op.present) await insertSlo(db, id, `slo_${id}`, fastBurnSlo(serviceOf(op.tenant)));
      return;
    }
    case "silence":
      await db.insert(silences).values({
        id: `sil_${n}`,
        tenantId: tenants[op.tenant] as string,
        matchers: [{ name: "alertname", type: "=", value: op.alertname }],
        startsAtMs: nowMs + op.startInMs,
        endsAtMs: nowMs + op.startInMs + op.lengthMs,
        createdAtMs: nowMs,
      });
      return;
    case "ack":
      await execute(
        db,
        `update alerts set acknowledged_at_ms = ?, acknowledged_by = 'u' where id =
           (select id from alerts where tenant_id = ? and status = 'firing' order by id limit 1)`,
        [nowMs, tenants[op.tenant] as string],
      );
      return;
    case "policy":
      await setPolicy(db, tenants[op.tenant] as string, op);
      return;
    case "advance":
      return;
  }
}

const execute = async (db: Database, sql: string, args: (string | number)[]) => {
  await libsqlClient(db).execute({ sql, args });
};

async function dump(db: Database) {
  const client = libsqlClient(db);
  const q = async (sql: string) => (await client.execute(sql)).rows.map((r) => ({ ...r }));
  return {
    alerts: await q("select * from alerts order by id"),
    groups: await q("select * from notification_groups order by tenant_id, group_key"),
    outbox: await q(
      "select id, tenant_id, channel, target_id, idempotency_key, payload, created_at_ms from outbox order by id",
    ),
    history: await q("select * from alert_history order by id"),
  };
}

function stage(
  db: Database,
  kafka: ReturnType<typeof memoryKafka>,
  clock: { now: number },
  incremental: boolean,
) {
  return createAlertStage({
    db,
    relay: memoryRelay(libsqlClient(db), kafka.kafka),
    metrics: createAlertMetrics([new Registry()]),
    logger: createLogger({ service: "test", level: "silent" }),
    now: () => clock.now,
    intervalMs: 1000,
    leaseMs: 3_600_000,
    holder: incremental ? "incremental" : "full",
    shards: 4,
    incremental,
  });
}

describe("incremental alert evaluation", () => {
  it("gives the transitions, notifications and states of evaluating every tenant at every tick", async () => {
    let incrementalSteps = 0;
    let fullSteps = 0;
    let transitions = 0;
    let notifications = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 10, maxLength: 45 }), async (ops) => {
        const full = await openTestDatabase();
        const inc = await openTestDatabase();
        try {
          await seed(full.db);
          await seed(inc.db);
          const clock = { now: t0 };
          const fullKafka = memoryKafka();
          const incKafka = memoryKafka();
          const a = stage(full.db, fullKafka, clock, false);
          const b = stage(inc.db, incKafka, clock, true);
          const tick = async () => {
            await a.tick();
            await b.tick();
            fullSteps += a.lastTickSteps();
            incrementalSteps += b.lastTickSteps();
            expect(await dump(inc.db)).toEqual(await dump(full.db));
            expect(incKafka.state.sent).toEqual(fullKafka.state.sent);
          };
          await tick();
          for (const [n, op] of ops.entries()) {
            if (op.kind === "advance") {
              clock.now += op.ms;
              await tick();
            } else {
              await apply(full.db, op, clock.now, n);
              await apply(inc.db, op, clock.now, n);
            }
          }
          clock.now += 1000;
          await tick();
          transitions += fullKafka.state.sent.length;
          notifications += (await dump(full.db)).outbox.length;
        } finally {
          full.close();
          inc.close();
        }
      }),
      { numRuns: Number(process.env.ALERT_PROPERTY_RUNS ?? 25) },
    );
    console.log(
      `steps: full ${fullSteps}, incremental ${incrementalSteps}; compared ${transitions} transitions, ${notifications} outbox rows`,
    );
    expect(transitions).toBeGreaterThan(0);
    expect(notifications).toBeGreaterThan(0);
    expect(incrementalSteps).toBeLessThan(fullSteps);
  }, 600_000);
});
