import { eq } from "drizzle-orm";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { alertHistory, alerts, outbox, slos } from "../../core/db/schema/index.ts";
import { alertTransitionMessageSchema } from "../../core/events/alert-transition.ts";
import type { OutboxPayload } from "../../core/notify/outbox-payload.ts";
import { createLogger } from "../../core/observability/logger.ts";
import { createAlertStage } from "./alerts.stage.ts";
import { createAlertMetrics } from "./metrics.ts";
import {
  fastBurnSlo,
  insertFastPolicy,
  insertMarketEvent,
  insertMinute,
  insertRule,
  insertSlo,
  insertTenant,
  insertWebhook,
  memoryKafka,
  memoryRelay,
  openTestDatabase,
  priceEvent,
} from "./testing.ts";

const t0 = Date.UTC(2026, 10, 30, 12, 0, 0);
let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

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
  kafka: ReturnType<typeof memoryKafka>,
  holder: string,
  clock: { now: number },
  lines: string[] = [],
) => {
  const registry = new Registry();
  const metrics = createAlertMetrics([registry]);
  const stage = createAlertStage({
    db: t.db,
    relay: memoryRelay(t.client, kafka.kafka),
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
    const producer = memoryKafka();
    const clock = { now: t0 };
    const { stage, registry } = stageFor(t, producer, "a", clock);
    await stage.tick();
    expect(stage.holdsLease()).toBe(true);
    const rows = await t.db
      .select({ tenantId: alerts.tenantId, status: alerts.status })
      .from(alerts);
    expect(rows).toContainEqual({ tenantId: "ten_good", status: "firing" });
    expect(producer.state.sent).toHaveLength(1);
    expect(producer.state.sent[0]).toMatchObject({
      topic: "alerts.transitions.v1",
      value: { tenantId: "ten_good", ruleId: "rul_good", from: "inactive", to: "firing", atMs: t0 },
    });
    expect(producer.state.sent[0]?.key).toBe(producer.state.sent[0]?.value.fingerprint);
    // What is published keeps the contract of the AsyncAPI document (no field more, none less).
    expect(alertTransitionMessageSchema.safeParse(producer.state.sent[0]?.value).success).toBe(
      true,
    );
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
    const { stage } = stageFor(t, memoryKafka(), "a", { now: t0 });
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
    const { stage, registry } = stageFor(t, memoryKafka(), "a", clock, lines);
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
    const producer = memoryKafka();
    producer.state.down = true;
    const clock = { now: t0 };
    const { stage, registry } = stageFor(t, producer, "a", clock);
    await stage.tick();
    expect(producer.state.sent).toEqual([]);
    expect(
      await value(registry, "gridpulse_alert_evaluation_errors_total", { kind: "produce" }),
    ).toBe(1);
    producer.state.down = false;
    clock.now += 1000;
    await stage.tick();
    expect(producer.state.sent.map((m) => m.value.to)).toEqual(["firing"]);
  });

  it("one process evaluates at a time; another takes over once the lease expires", async () => {
    const t = await setup();
    const clock = { now: t0 };
    const pa = memoryKafka();
    const pb = memoryKafka();
    const a = stageFor(t, pa, "a", clock);
    const b = stageFor(t, pb, "b", clock);
    await a.stage.tick();
    await b.stage.tick();
    expect([a.stage.holdsLease(), b.stage.holdsLease()]).toEqual([true, false]);
    expect(await value(b.registry, "gridpulse_alert_evaluator_lease_held")).toBe(0);
    expect(pb.state.sent).toEqual([]);
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

  it("an SLO deleted while its page fires: resolved, listed for 15 min, its history kept with the SLO as it was", async () => {
    const t = await openTestDatabase();
    cleanup = t.close;
    const kafka = memoryKafka();
    const clock = { now: t0 };
    const tenant = await insertTenant(t.db, "ten_h");
    await insertSlo(t.db, tenant, "slo_h", fastBurnSlo("svc-h"));
    await insertMinute(t.db, {
      service: "svc-h",
      route: "/a",
      bucketStartMs: t0 - (t0 % 60_000),
      durationsMs: Array(100).fill(10),
      bad: 100,
    });
    const { stage } = stageFor(t, kafka, "a", clock);
    await stage.tick();
    const fired = await t.db.select().from(alertHistory).where(eq(alertHistory.tenantId, tenant));
    expect(fired.map((h) => [h.ruleName, h.severity, h.status])).toEqual(
      expect.arrayContaining([
        ["SloErrorBudgetBurn", "page", "firing"],
        ["SloErrorBudgetBurn", "ticket", "firing"],
      ]),
    );
    expect(fired[0]?.rule.slo).toMatchObject({
      id: "slo_h",
      definition: { name: "svc-h availability", objective: 0.99 },
    });
    // Every transition of the tick went to Kafka through the outbox, in the step's transaction.
    expect(kafka.state.sent.map((m) => m.value.to)).toEqual(["firing", "firing"]);

    await t.db.delete(slos).where(eq(slos.id, "slo_h"));
    clock.now += 1000;
    await stage.tick();
    clock.now += 60_000;
    await stage.tick(); // a later tick: the resolved alerts are still listed
    const rows = await t.db.select().from(alerts).where(eq(alerts.tenantId, tenant));
    expect(rows.map((r) => r.status)).toEqual(["resolved", "resolved"]);
    const history = await t.db.select().from(alertHistory).where(eq(alertHistory.tenantId, tenant));
    expect(history.map((h) => [h.status, h.resolvedAtMs])).toEqual([
      ["resolved", t0 + 1000],
      ["resolved", t0 + 1000],
    ]);
    expect(history[0]?.rule.slo?.definition).toMatchObject({ name: "svc-h availability" });
    expect(kafka.state.sent.map((m) => m.value.to)).toEqual([
      "firing",
      "firing",
      "resolved",
      "resolved",
    ]);
    // 15 minutes on, the alert rows go; the history stays until its retention (30 days).
    clock.now += 15 * 60_000;
    await stage.tick();
    expect(await t.db.select().from(alerts).where(eq(alerts.tenantId, tenant))).toEqual([]);
    expect(await t.db.select().from(alertHistory)).toHaveLength(2);
    clock.now += 30 * 86_400_000;
    await stage.tick();
    expect(await t.db.select().from(alertHistory)).toEqual([]);
  });
});
