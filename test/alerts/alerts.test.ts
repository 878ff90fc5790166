/**
 * Alerts end to end through the real broker and the real stream worker (all stages, default
 * STREAM_STAGES): RequestEvents with a synthetic outage -> stage 1 -> stage 2 windows -> the alert
 * evaluator -> alert rows, notification groups and outbox rows in libSQL, transitions on
 * alerts.transitions.v1. Checked: the page tier fires and is notified to the webhook endpoint and
 * the page-filtered push subscription with the outbox keys of the payload contract; the ticket tier
 * fires too but is inhibited by the page (never notified); a silenced SLO fires without any
 * notification; the outage ends -> resolved notifications; a price spike on market.events.v1 fires
 * a market_price rule (webhook only: the push subscription wants pages). Everything is set up API-free
 * (rows written through drizzle), as the API would store it.
 */
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import {
  alertRules,
  alerts,
  type OutboxRow,
  outbox,
  pushSubscriptions,
  silences,
} from "../../core/db/schema/index.ts";
import type { RequestEventInput } from "../../core/events/request-event.ts";
import { topicName } from "../../core/events/topics.ts";
import { outboxRowId } from "../../core/notify/outbox-payload.ts";
import { createTenantWithAdminKey } from "../../core/tenants/tenants.service.ts";
import { waitFor } from "../../dev/net.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { eventProducer } from "../../platform/kafka.ts";
import {
  fastBurnSlo,
  insertFastPolicy,
  insertSlo,
  insertWebhook,
  priceEvent,
} from "../../stream/alerts/testing.ts";
import { createTopics, readMessagesUntil, testKafka, uniquePrefix } from "../support/kafka.ts";
import { sampleValue, scrape } from "../support/metrics.ts";
import type { ServiceProcess } from "../support/processes.ts";
import { startStreamWorker } from "../support/stream.ts";
import { lists, notificationOf, requests, sendRequests } from "./fixtures.ts";

const kafka = testKafka();
const running: ServiceProcess[] = [];
const closers: (() => void)[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop("SIGKILL")));
  for (const close of closers.splice(0)) close();
});

describe("alerts: outage -> SLO burn alert -> outbox, through the real broker", () => {
  it("fires, inhibits, silences, resolves and notifies market price spikes", async () => {
    const prefix = uniquePrefix();
    await createTopics(kafka, prefix);
    const { worker, databaseUrl } = await startStreamWorker(prefix, {
      env: {
        STREAM_EVAL_INTERVAL_MS: "200",
        STREAM_ALERT_EVAL_INTERVAL_MS: "200",
        STREAM_ALERT_LEASE_MS: "3000",
        // The outbox rows are checked as written: no dispatcher sends them (test/alerts/delivery does).
        STREAM_STAGES: "aggregate,evaluate,market,alerts",
        LOG_LEVEL: "warn",
      },
    });
    running.push(worker);
    const database = await openDatabase({ url: databaseUrl });
    closers.push(database.close);
    const { db } = database;

    const run = randomUUID().slice(0, 8);
    const api = `api-${run}`;
    const checkout = `checkout-${run}`;
    const nowMs = Date.now();
    const { tenantId } = await createTenantWithAdminKey(db, { name: "alerts", nowMs });
    await insertSlo(db, tenantId, "slo_api", fastBurnSlo(api));
    await insertSlo(db, tenantId, "slo_checkout", fastBurnSlo(checkout));
    await insertFastPolicy(db, tenantId);
    await db.insert(silences).values({
      id: "sil_checkout",
      tenantId,
      matchers: [{ name: "slo_id", type: "=", value: "slo_checkout" }],
      startsAtMs: nowMs - 60_000,
      endsAtMs: nowMs + 3_600_000,
      createdAtMs: nowMs,
    });
    await insertWebhook(db, tenantId, "whe_1");
    await db.insert(pushSubscriptions).values({
      id: "psub_1",
      tenantId,
      endpoint: "https://push.example.test/sub",
      p256dh: "key",
      auth: "auth",
      filters: { severities: ["page"] },
      createdAtMs: nowMs,
    });
    await db.insert(alertRules).values({
      id: "rul_price",
      tenantId,
      kind: "market_price",
      rule: {
        id: "rul_price",
        name: "ElectricityPriceJump",
        kind: "market_price",
        for: 0,
        keep_firing_for: 0,
        no_data: "keep_state",
        severity: "info",
        labels: {},
        annotations: {},
        params: {
          carrier: "electricity",
          condition: { op: "change_pct", window: "1h", pct: 50, direction: "rise" },
        },
      },
      createdAtMs: nowMs,
      updatedAtMs: nowMs,
    });

    const producer = eventProducer(kafka);
    await producer.connect();
    closers.push(() => void producer.disconnect());
    const send = (events: RequestEventInput[]) =>
      sendRequests(producer, topicName(prefix, "requests"), events);
    const outboxRows = () => db.select().from(outbox).orderBy(outbox.createdAtMs, outbox.id);

    // --- the outage: every request of both services fails ---
    const firstBadTsMs = Date.now();
    await send([
      ...requests(api, 40, 503, firstBadTsMs),
      ...requests(checkout, 40, 503, firstBadTsMs),
    ]);
    const isApiPage = (l: Record<string, string>) => l.slo_id === "slo_api" && l.tier === "page";
    const firing = await waitFor(
      "firing notifications of the api page tier for the webhook and the push subscription",
      async () => {
        const rows = (await outboxRows()).filter(
          (r) => notificationOf(r).status === "firing" && lists(r, isApiPage),
        );
        return rows.length >= 2 ? rows : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const firstRow = firing[0] as OutboxRow;
    console.log(
      `alert latency: first bad event time -> outbox row created: ${firstRow.createdAtMs - firstBadTsMs} ms`,
    );
    const key = notificationOf(firstRow).idempotencyKey;
    expect(firing.map((r) => [r.channel, r.targetId, r.id, r.idempotencyKey]).sort()).toEqual(
      [
        ["push", "psub_1", outboxRowId("push", "psub_1", key), key],
        ["webhook", "whe_1", outboxRowId("webhook", "whe_1", key), key],
      ].sort(),
    );
    for (const r of firing)
      expect(r).toMatchObject({ trigger: "alert", status: "pending", tenantId, attempts: 0 });

    const alertRows = () => db.select().from(alerts).orderBy(alerts.id);
    // Both tiers of both SLOs fire (100% errors burn at 100x); pages inhibit tickets; the silence
    // keeps checkout out of every notification.
    const states = await waitFor(
      "all four SLO tiers to fire",
      async () => {
        const rows = (await alertRows()).filter((r) => r.status === "firing");
        return rows.length >= 4 ? rows : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(states.map((r) => `${r.state.labels.slo_id}/${r.state.labels.tier}`).sort()).toEqual([
      "slo_api/page",
      "slo_api/ticket",
      "slo_checkout/page",
      "slo_checkout/ticket",
    ]);
    // Give the evaluator a few more ticks to (wrongly) notify anything else.
    await new Promise((r) => setTimeout(r, 1000));
    let rows = await outboxRows();
    expect(rows.filter((r) => lists(r, (l) => l.tier === "ticket"))).toEqual([]);
    expect(rows.filter((r) => lists(r, (l) => l.slo_id === "slo_checkout"))).toEqual([]);
    expect(rows).toHaveLength(2);

    // Transitions on Kafka: key = fingerprint, value = AlertTransition + tenantId.
    const transitions = await readMessagesUntil(
      kafka,
      topicName(prefix, "alertTransitions"),
      (ms) => ms.length >= 4,
      30_000,
    );
    const values = transitions.map((m) => ({
      key: m.key?.toString(),
      value: JSON.parse(m.value?.toString() ?? "{}"),
    }));
    expect(
      values.every((v) => v.key === v.value.fingerprint && v.value.tenantId === tenantId),
    ).toBe(true);
    expect(
      values.map((v) => `${v.value.labels.slo_id}/${v.value.labels.tier}:${v.value.to}`).sort(),
    ).toEqual([
      "slo_api/page:firing",
      "slo_api/ticket:firing",
      "slo_checkout/page:firing",
      "slo_checkout/ticket:firing",
    ]);

    // --- the outage ends: plenty of good traffic brings both windows under the factors ---
    await send(requests(api, 6000, 200, Date.now()));
    const resolved = await waitFor(
      "resolved notifications of the api page tier",
      async () => {
        const found = (await outboxRows()).filter(
          (r) => notificationOf(r).status === "resolved" && lists(r, isApiPage),
        );
        return found.length >= 2 ? found : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    expect(resolved.map((r) => r.channel).sort()).toEqual(["push", "webhook"]);
    const resolvedAlert = notificationOf(resolved[0] as OutboxRow).alerts.find((a) =>
      isApiPage(a.labels),
    );
    expect(resolvedAlert).toMatchObject({ status: "resolved" });
    const apiPage = (await alertRows()).find((r) => isApiPage(r.state.labels));
    expect(apiPage?.status).toBe("resolved");

    // --- a price spike: +150% within the hour fires the market_price rule ---
    const marketProducer = eventProducer(kafka);
    await marketProducer.connect();
    const priceAt = (id: string, tsMs: number, value: number) => ({
      key: "market:electricity",
      value: JSON.stringify(priceEvent(`${run}-${id}`, tsMs, value)),
    });
    const spikeAtMs = Date.now();
    await marketProducer.send({
      topic: topicName(prefix, "market"),
      messages: [
        priceAt("before", spikeAtMs - 2 * 3_600_000, 0.2),
        priceAt("spike", spikeAtMs, 0.5),
      ],
    });
    await marketProducer.disconnect();
    const priceRows = await waitFor(
      "a notification of the price spike",
      async () => {
        const found = (await outboxRows()).filter((r) =>
          lists(r, (l) => l.alertname === "ElectricityPriceJump"),
        );
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    console.log(
      `price alert latency: price event -> outbox row created: ${(priceRows[0] as OutboxRow).createdAtMs - spikeAtMs} ms`,
    );
    await new Promise((r) => setTimeout(r, 600));
    rows = (await outboxRows()).filter((r) =>
      lists(r, (l) => l.alertname === "ElectricityPriceJump"),
    );
    // The push subscription wants pages only: the webhook alone is told.
    expect(rows.map((r) => [r.channel, r.targetId])).toEqual([["webhook", "whe_1"]]);
    const priceAlert = notificationOf(rows[0] as OutboxRow).alerts[0];
    expect(priceAlert?.labels).toMatchObject({ market_kind: "price", carrier: "electricity" });
    expect(priceAlert?.value).toBeCloseTo(150, 6);

    const metrics = await scrape(worker.url);
    expect(sampleValue(metrics, "gridpulse_alert_evaluator_lease_held", {})).toBe(1);
    expect(
      sampleValue(metrics, "gridpulse_alert_transitions_total", { to: "firing" }),
    ).toBeGreaterThanOrEqual(5);
    expect(
      sampleValue(metrics, "gridpulse_alert_notifications_planned_total", {}),
    ).toBeGreaterThanOrEqual(3);
    expect(sampleValue(metrics, "gridpulse_alerts_firing", { severity: "page" })).toBe(1);
  });
});
