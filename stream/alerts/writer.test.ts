import type { Client } from "@libsql/client";
import { eq } from "drizzle-orm";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import type { Database } from "../../core/db/database.ts";
import {
  alertRules,
  alerts,
  leases,
  notificationGroups,
  outbox,
  pushSubscriptions,
  silences,
} from "../../core/db/schema/index.ts";
import { outboxRowId } from "../../core/notify/outbox-payload.ts";
import { gatherInputs } from "./inputs.ts";
import { acquireLease, LeaseLostError } from "./lease.ts";
import { computeStep } from "./step.ts";
import { loadTenant } from "./tenant.ts";
import {
  fastBurnSlo,
  insertFastPolicy,
  insertMarketEvent,
  insertMinute,
  insertRule,
  insertSlo,
  insertTenant,
  insertWebhook,
  openTestDatabase,
  priceEvent,
} from "./testing.ts";
import { sameJson, writeStep } from "./writer.ts";

const MIN = 60_000;
const t0 = Date.UTC(2026, 10, 30, 12, 30, 0);
const lease = { holder: "me", leaseMs: 15_000 };

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

/** A tenant with a two-tier SLO on service "api", a webhook endpoint and two push subscriptions. */
async function setup() {
  const t = await openTestDatabase();
  cleanup = t.close;
  const { db } = t;
  const tenantId = await insertTenant(db, "ten_a");
  await insertSlo(db, tenantId, "slo_1", fastBurnSlo("api", 5));
  await insertFastPolicy(db, tenantId);
  await insertWebhook(db, tenantId, "whe_1");
  await insertWebhook(db, tenantId, "whe_off", 1);
  const sub = (id: string, filters: object) => ({
    id,
    tenantId,
    endpoint: `https://push.example/${id}`,
    p256dh: "k",
    auth: "a",
    filters: filters as never,
    createdAtMs: 0,
  });
  await db
    .insert(pushSubscriptions)
    .values([sub("psub_page", { severities: ["page"] }), sub("psub_other", { slos: ["slo_x"] })]);
  await acquireLease(t.client, { ...lease, nowMs: t0 });
  return { ...t, tenantId };
}

async function outage(db: Database, atMs: number, bad: number, total = 20) {
  await insertMinute(db, {
    service: "api",
    route: "/a",
    bucketStartMs: atMs - (atMs % MIN),
    durationsMs: Array(total).fill(10),
    bad,
  });
}

async function runStep(t: { db: Database; client: Client }, tenantId: string, nowMs: number) {
  const snapshot = await loadTenant(t.db, tenantId, nowMs);
  const { inputs } = await gatherInputs(t.db, {
    tenantId,
    nowMs,
    rules: snapshot.rules,
    slos: snapshot.slos,
  });
  const step = computeStep(snapshot, inputs, nowMs);
  const summary = await writeStep(t.client, { snapshot, step, nowMs, lease });
  return { snapshot, step, summary };
}

const outboxRows = (db: Database) =>
  db.select().from(outbox).orderBy(outbox.createdAtMs, outbox.id);

describe("writeStep", () => {
  it("writes firing alerts, groups and one outbox row per enabled endpoint and matching subscription", async () => {
    const t = await setup();
    await outage(t.db, t0, 20);
    const { step } = await runStep(t, t.tenantId, t0);
    expect(step.transitions.map((x) => `${x.labels.tier}:${x.to}`).sort()).toEqual([
      "page:firing",
      "ticket:firing",
    ]);
    const stored = await t.db.select().from(alerts);
    expect(stored.map((r) => [r.state.labels.tier, r.status]).sort()).toEqual([
      ["page", "firing"],
      ["ticket", "firing"],
    ]);
    // The ticket is inhibited by the page: one notification listing only the page.
    expect(step.notifications).toHaveLength(1);
    const [notification] = step.notifications;
    expect(notification?.alerts.map((a) => a.labels.tier)).toEqual(["page"]);
    const rows = await outboxRows(t.db);
    const key = notification?.idempotencyKey as string;
    expect(rows.map((r) => [r.channel, r.targetId, r.id, r.idempotencyKey]).sort()).toEqual(
      [
        ["push", "psub_page", outboxRowId("push", "psub_page", key), key],
        ["webhook", "whe_1", outboxRowId("webhook", "whe_1", key), key],
      ].sort(),
    );
    for (const r of rows) {
      expect(r).toMatchObject({
        tenantId: t.tenantId,
        trigger: "alert",
        status: "pending",
        attempts: 0,
        nextAttemptAtMs: t0,
        createdAtMs: notification?.atMs,
        payload: { type: "alert", notification: JSON.parse(JSON.stringify(notification)) },
      });
    }
    expect(await t.db.select().from(notificationGroups)).toHaveLength(1);

    // The same state again (a replayed step after a crash before anything else): nothing new.
    const again = await runStep(t, t.tenantId, t0 + 500);
    expect(again.step.notifications).toEqual([]);
    expect(await outboxRows(t.db)).toHaveLength(2);
    // Nothing changed: nothing is written (not even the lease), so alert rows keep their updatedAtMs.
    expect(again.summary.statements).toBe(0);
    expect((await t.db.select().from(alerts)).map((r) => r.updatedAtMs)).toEqual([t0, t0]);
  });

  it("is deterministic: the same persisted state and time give the same rows; a retried commit adds none", async () => {
    const t = await setup();
    await outage(t.db, t0, 20);
    const compute = async () => {
      const snapshot = await loadTenant(t.db, t.tenantId, t0);
      const { inputs } = await gatherInputs(t.db, {
        tenantId: t.tenantId,
        nowMs: t0,
        rules: snapshot.rules,
        slos: snapshot.slos,
      });
      return { snapshot, step: computeStep(snapshot, inputs, t0) };
    };
    const a = await compute();
    const b = await compute();
    expect(b.step).toEqual(a.step);
    // An ambiguous commit failure retried with the same computed step: nothing is inserted twice.
    await writeStep(t.client, { ...a, nowMs: t0, lease });
    await writeStep(t.client, { ...b, nowMs: t0, lease });
    const rows = await outboxRows(t.db);
    expect(rows).toHaveLength(2);
    expect(new Set(rows.map((r) => r.idempotencyKey))).toEqual(
      new Set([a.step.notifications[0]?.idempotencyKey]),
    );
  });

  it("resolves with a resolved notification; a silence keeps an alert out of every notification", async () => {
    const t = await setup();
    await t.db.insert(silences).values({
      id: "sil_1",
      tenantId: t.tenantId,
      matchers: [{ name: "alertname", type: "=", value: "PriceHigh" }],
      startsAtMs: t0 - MIN,
      endsAtMs: t0 + 60 * MIN,
      createdAtMs: t0,
    });
    await insertRule(t.db, t.tenantId, {
      id: "rul_price",
      name: "PriceHigh",
      kind: "market_price",
      severity: "page",
      params: { carrier: "electricity", condition: { op: "above", thresholdEurPerKwh: 0.1 } },
      no_data: "ok",
    });
    await insertMarketEvent(t.db, priceEvent("p", t0 - MIN, 0.5));
    await outage(t.db, t0, 20);
    const first = await runStep(t, t.tenantId, t0);
    const firing = await t.db.select().from(alerts).where(eq(alerts.status, "firing"));
    expect(firing.map((r) => r.state.labels.alertname).sort()).toEqual([
      "PriceHigh",
      "SloErrorBudgetBurn",
      "SloErrorBudgetBurn",
    ]);
    expect(
      first.step.notifications.flatMap((n) => n.alerts.map((a) => a.labels.alertname)),
    ).toEqual(["SloErrorBudgetBurn"]);

    // Recovery: 2,000 good requests in the next minute bring both windows under the factors.
    const later = t0 + MIN;
    await outage(t.db, later, 0, 2000);
    const second = await runStep(t, t.tenantId, later);
    expect(second.step.transitions.map((x) => `${x.labels.tier}:${x.to}`).sort()).toEqual([
      "page:resolved",
      "ticket:resolved",
    ]);
    expect(second.step.notifications).toHaveLength(1);
    expect(second.step.notifications[0]).toMatchObject({
      status: "resolved",
      reasons: ["resolved"],
    });
    // The inhibited ticket was never told as firing, so it is not reported resolved either.
    expect(second.step.notifications[0]?.alerts.map((a) => a.labels.tier)).toEqual(["page"]);
    const rows = await outboxRows(t.db);
    expect(rows).toHaveLength(4);
    expect(
      rows.every((r) =>
        (
          r.payload as { notification: { alerts: { labels: Record<string, string> }[] } }
        ).notification.alerts.every((a) => a.labels.alertname !== "PriceHigh"),
      ),
    ).toBe(true);
  });

  it("keeps the API's acknowledgement across updates and clears it when a new episode begins", async () => {
    const t = await setup();
    await outage(t.db, t0, 20);
    await runStep(t, t.tenantId, t0);
    const [page] = (await t.db.select().from(alerts)).filter((r) => r.state.labels.tier === "page");
    const id = page?.id as string;
    // The API acknowledges between two steps.
    await t.db
      .update(alerts)
      .set({ acknowledgedAtMs: t0 + 100, acknowledgedBy: "key_1" })
      .where(eq(alerts.id, id));
    // Worse outage: the value changes, the row is rewritten; the acknowledgement stays and is fed in.
    await outage(t.db, t0 + MIN, 20);
    const next = await runStep(t, t.tenantId, t0 + MIN);
    expect(next.snapshot.states.find((s) => s.fingerprint === id)?.acknowledgedAtMs).toBe(t0 + 100);
    let row = (await t.db.select().from(alerts).where(eq(alerts.id, id)))[0];
    expect(row).toMatchObject({
      status: "firing",
      acknowledgedAtMs: t0 + 100,
      acknowledgedBy: "key_1",
    });

    // Resolve, then fire again: a new episode clears the acknowledgement.
    await outage(t.db, t0 + 2 * MIN, 0, 5000);
    await runStep(t, t.tenantId, t0 + 2 * MIN);
    row = (await t.db.select().from(alerts).where(eq(alerts.id, id)))[0];
    expect(row).toMatchObject({ status: "resolved", acknowledgedAtMs: t0 + 100 });
    await outage(t.db, t0 + 3 * MIN, 5000, 5000);
    await runStep(t, t.tenantId, t0 + 3 * MIN);
    row = (await t.db.select().from(alerts).where(eq(alerts.id, id)))[0];
    expect(row).toMatchObject({ status: "firing", acknowledgedAtMs: null, acknowledgedBy: null });
    expect(row?.state.acknowledgedAtMs).toBeNull();
  });

  it("aborts the whole step, writing nothing, when another process holds the lease", async () => {
    const t = await setup();
    await outage(t.db, t0, 20);
    // Our lease expired and another process took it over.
    expect(
      await acquireLease(t.client, { holder: "other", leaseMs: 15_000, nowMs: t0 + 16_000 }),
    ).toBe(true);
    await expect(runStep(t, t.tenantId, t0 + 16_500)).rejects.toBeInstanceOf(LeaseLostError);
    expect(await t.db.select().from(alerts)).toEqual([]);
    expect(await outboxRows(t.db)).toEqual([]);
    expect(await t.db.select().from(notificationGroups)).toEqual([]);
    const [row] = await t.db.select().from(leases);
    expect(row).toMatchObject({ holder: "other", expiresAtMs: t0 + 31_000 });
    // Before expiry nobody else can take it; the holder renews.
    expect(await acquireLease(t.client, { ...lease, nowMs: t0 + 20_000 })).toBe(false);
    expect(
      await acquireLease(t.client, { holder: "other", leaseMs: 15_000, nowMs: t0 + 20_000 }),
    ).toBe(true);
  });

  it("holds the alerts of a rule that no longer validates instead of resolving them", async () => {
    const t = await setup();
    await insertRule(t.db, t.tenantId, {
      id: "rul_price",
      name: "PriceHigh",
      kind: "market_price",
      severity: "info",
      params: { carrier: "electricity", condition: { op: "above", thresholdEurPerKwh: 0.1 } },
    });
    await insertMarketEvent(t.db, priceEvent("p", t0 - MIN, 0.5));
    await runStep(t, t.tenantId, t0);
    const before = await t.db.select().from(alerts);
    expect(before.map((r) => [r.ruleId, r.status])).toEqual([["rul_price", "firing"]]);
    // A broken row (as if written by an older version): the rule cannot be loaded.
    await t.db
      .update(alertRules)
      .set({
        rule: { id: "rul_price", kind: "market_price", bogus: true } as never,
        updatedAtMs: 1,
      })
      .where(eq(alertRules.id, "rul_price"));
    const held = await runStep(t, t.tenantId, t0 + 5 * MIN);
    expect(held.snapshot.problems.map((p) => [p.kind, p.id])).toEqual([["rule", "rul_price"]]);
    expect(held.step.transitions).toEqual([]);
    expect(await t.db.select().from(alerts)).toEqual(before);
    // Deleting the rule resolves its alert.
    await t.db.delete(alertRules).where(eq(alertRules.id, "rul_price"));
    const gone = await runStep(t, t.tenantId, t0 + 6 * MIN);
    expect(gone.step.transitions.map((x) => x.to)).toEqual(["resolved"]);
  });
});

describe("sameJson", () => {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

  it("agrees with comparing JSON.stringify texts on any values and near copies", () => {
    // A value, and a copy with one leaf changed, one key moved, or an undefined property added.
    const value = fc.anything({
      withNullPrototype: true,
      withObjectString: false,
      withBoxedValues: false,
      withSparseArray: true,
      maxDepth: 3,
    });
    const mutate = (v: unknown, how: number): unknown => {
      if (Array.isArray(v)) return v.length === 0 ? [undefined] : [...v.slice(1), v[0]];
      if (v && typeof v === "object") {
        const entries = Object.entries(v);
        if (how === 0) return Object.fromEntries(entries.reverse());
        if (how === 1) return { ...v, extra: undefined };
        const [first] = entries;
        return first ? { ...v, [first[0]]: mutate(first[1], how) } : { a: 1 };
      }
      return how === 0 ? null : typeof v === "number" ? -v : v;
    };
    fc.assert(
      fc.property(value, value, fc.integer({ min: 0, max: 2 }), (a, b, how) => {
        for (const [x, y] of [
          [a, b],
          [a, a],
          [a, structuredClone(a)],
          [a, mutate(a, how)],
        ])
          expect(sameJson(x, y)).toBe(same(x, y));
      }),
      { numRuns: 2000 },
    );
  });

  it("tells key order, NaN and undefined apart as JSON does", () => {
    expect(sameJson({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(false);
    expect(sameJson({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameJson([undefined], [null])).toBe(true);
    expect(sameJson(Number.NaN, null)).toBe(true);
    expect(sameJson(0, -0)).toBe(true);
    expect(sameJson(undefined, null)).toBe(false);
  });
});
