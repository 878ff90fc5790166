import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { alerts, outbox } from "../../core/db/schema/index.ts";
import { alertTransitionMessageSchema } from "../../core/events/alert-transition.ts";
import type { OutboxPayload } from "../../core/notify/outbox-payload.ts";
import { createLogger } from "../../core/observability/logger.ts";
import { createAlertStage, type TransitionMessage } from "./alerts.stage.ts";
import { createAlertMetrics } from "./metrics.ts";
import {
  insertFastPolicy,
  insertMarketEvent,
  insertRule,
  insertTenant,
  insertWebhook,
  openTestDatabase,
  priceEvent,
} from "./testing.ts";

const t0 = Date.UTC(2026, 10, 30, 12, 0, 0);
let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

/** A producer at the module boundary: records what is sent, fails while `down`. */
function fakeProducer() {
  const sent: { topic: string; key: string; value: TransitionMessage }[] = [];
  const p = {
    down: false,
    sent,
    async send(record: { topic: string; messages: { key?: unknown; value: unknown }[] }) {
      if (p.down) throw new Error("broker unavailable");
      for (const m of record.messages)
        sent.push({
          topic: record.topic,
          key: String(m.key),
          // Every message keeps the published contract (the AsyncAPI document's schema).
          value: alertTransitionMessageSchema.parse(JSON.parse(String(m.value))),
        });
      return [];
    },
  };
  return p;
}

async function setup() {
  const t = await openTestDatabase();
  cleanup = t.close;
  const rule = (id: string) => ({
    id,
    name: "PriceHigh",
    kind: "market_price" as const,
    severity: "info" as const,
    params: {
      carrier: "electricity" as const,
      condition: { op: "above" as const, thresholdEurPerKwh: 0.1 },
    },
  });
  const good = await insertTenant(t.db, "ten_good");
  await insertRule(t.db, good, rule("rul_good"));
  const bad = await insertTenant(t.db, "ten_bad");
  await insertRule(t.db, bad, rule("rul_bad"));
  // A corrupt alert row (not JSON) makes every step of this tenant fail while it is there.
  await t.client.execute(
    "insert into alerts (id, tenant_id, rule_id, status, state, updated_at_ms) values ('ffffffffffffffff', 'ten_bad', 'rul_bad', 'firing', '{corrupt', 0)",
  );
  await insertMarketEvent(t.db, priceEvent("p", t0 - 1000, 0.5));
  return t;
}

const stageFor = (
  t: Awaited<ReturnType<typeof setup>>,
  producer: ReturnType<typeof fakeProducer>,
  holder: string,
  clock: { now: number },
  lines: string[] = [],
) => {
  const registry = new Registry();
  const metrics = createAlertMetrics([registry]);
  const stage = createAlertStage({
    db: t.db,
    producer,
    transitionsTopic: "alerts.transitions.v1",
    metrics,
    logger: createLogger({ service: "test", writer: (_level, line) => lines.push(line) }),
    now: () => clock.now,
    intervalMs: 1000,
    leaseMs: 5000,
    holder,
  });
  return { stage, registry };
};

const value = async (registry: Registry, name: string, labels: Record<string, string> = {}) => {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const sample = (metric?.values ?? []).find((v) =>
    Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x),
  );
  return sample?.value;
};

describe("alert stage", () => {
  it("a failing tenant is counted and skipped; the others are written and produced after commit", async () => {
    const t = await setup();
    const producer = fakeProducer();
    const clock = { now: t0 };
    const { stage, registry } = stageFor(t, producer, "a", clock);
    await stage.tick();
    expect(stage.holdsLease()).toBe(true);
    const rows = await t.db
      .select({ tenantId: alerts.tenantId, status: alerts.status })
      .from(alerts);
    expect(rows).toContainEqual({ tenantId: "ten_good", status: "firing" });
    expect(producer.sent).toHaveLength(1);
    expect(producer.sent[0]).toMatchObject({
      topic: "alerts.transitions.v1",
      value: { tenantId: "ten_good", ruleId: "rul_good", from: "inactive", to: "firing", atMs: t0 },
    });
    expect(producer.sent[0]?.key).toBe(producer.sent[0]?.value.fingerprint);
    expect(
      await value(registry, "gridpulse_alert_evaluation_errors_total", { kind: "tenant" }),
    ).toBe(1);
    expect(await value(registry, "gridpulse_alert_transitions_total", { to: "firing" })).toBe(1);
    expect(await value(registry, "gridpulse_alerts_firing", { severity: "info" })).toBe(1);
    expect(await value(registry, "gridpulse_alert_evaluator_lease_held")).toBe(1);
  });

  it("two tenants with equal groups formed in the same tick never share a notification key", async () => {
    const t = await setup();
    const other = await insertTenant(t.db, "ten_twin");
    await insertRule(t.db, other, {
      id: "rul_twin",
      name: "PriceHigh",
      kind: "market_price",
      severity: "info",
      params: { carrier: "electricity", condition: { op: "above", thresholdEurPerKwh: 0.1 } },
    });
    for (const tenant of ["ten_good", other]) {
      await insertFastPolicy(t.db, tenant);
      await insertWebhook(t.db, tenant, `whe_${tenant}`);
    }
    const { stage } = stageFor(t, fakeProducer(), "a", { now: t0 });
    await stage.tick();
    const rows = await t.db.select().from(outbox).orderBy(outbox.tenantId);
    expect(rows.map((r) => r.tenantId)).toEqual(["ten_good", "ten_twin"]);
    const [a, b] = rows.map((r) => (r.payload as OutboxPayload & { type: "alert" }).notification);
    expect(a?.groupKey).toBe(b?.groupKey);
    expect(rows[0]?.idempotencyKey).not.toBe(rows[1]?.idempotencyKey);
  });

  it("a tenant failing at every tick is counted each time and logged once a minute", async () => {
    const t = await setup();
    const clock = { now: t0 };
    const lines: string[] = [];
    const { stage, registry } = stageFor(t, fakeProducer(), "a", clock, lines);
    const failures = () => lines.filter((l) => l.includes("of a tenant failed")).length;
    for (let i = 0; i < 5; i++) {
      await stage.tick();
      clock.now += 1000;
    }
    expect(
      await value(registry, "gridpulse_alert_evaluation_errors_total", { kind: "tenant" }),
    ).toBe(5);
    expect(failures()).toBe(1);
    clock.now += 60_000;
    await stage.tick();
    expect(failures()).toBe(2);
    // Fixed: evaluated again, and the recovery is logged.
    await t.client.execute("delete from alerts where tenant_id = 'ten_bad'");
    await stage.tick();
    expect(lines.filter((l) => l.includes("recovered"))).toHaveLength(1);
    const rows = await t.db.select({ tenantId: alerts.tenantId }).from(alerts);
    expect(rows.map((r) => r.tenantId).sort()).toEqual(["ten_bad", "ten_good"]);
  });

  it("keeps committed transitions while Kafka is down and sends them at a later tick", async () => {
    const t = await setup();
    const producer = fakeProducer();
    producer.down = true;
    const clock = { now: t0 };
    const { stage, registry } = stageFor(t, producer, "a", clock);
    await stage.tick();
    expect(producer.sent).toEqual([]);
    expect(
      await value(registry, "gridpulse_alert_evaluation_errors_total", { kind: "produce" }),
    ).toBe(1);
    producer.down = false;
    clock.now += 1000;
    await stage.tick();
    expect(producer.sent.map((m) => m.value.to)).toEqual(["firing"]);
  });

  it("one process evaluates at a time; another takes over once the lease expires", async () => {
    const t = await setup();
    const clock = { now: t0 };
    const pa = fakeProducer();
    const pb = fakeProducer();
    const a = stageFor(t, pa, "a", clock);
    const b = stageFor(t, pb, "b", clock);
    await a.stage.tick();
    await b.stage.tick();
    expect([a.stage.holdsLease(), b.stage.holdsLease()]).toEqual([true, false]);
    expect(await value(b.registry, "gridpulse_alert_evaluator_lease_held")).toBe(0);
    expect(pb.sent).toEqual([]);
    // "a" stops ticking (a crash); after the lease expires "b" takes over and carries on.
    clock.now += 6000;
    await b.stage.tick();
    expect(b.stage.holdsLease()).toBe(true);
    await a.stage.tick();
    expect(a.stage.holdsLease()).toBe(false);
    // Stopping releases the lease at once.
    await b.stage.stop();
    await a.stage.tick();
    expect(a.stage.holdsLease()).toBe(true);
  });
});
