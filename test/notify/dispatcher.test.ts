/**
 * The dispatcher end to end in this process: a real libSQL file written as the evaluator and the API
 * write it, real loopback receivers (webhooks verified with the `standardwebhooks` package, an HTTPS
 * push service decrypting with `http_ece` and verifying VAPID), a compressed retry schedule.
 */
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { pushSubscriptions } from "../../core/db/schema/index.ts";
import { pushTopicFor } from "../../core/notify/push-message.ts";
import { generateWebhookSecret } from "../../core/notify/standard-webhooks.ts";
import { createLogger, silentLogger } from "../../core/observability/logger.ts";
import { waitFor } from "../../dev/net.ts";
import {
  loadVapidKeys,
  memoryVapidKeyStore,
} from "../../stream/notify/channels/push/vapid-keys.ts";
import { loadNotifyConfig } from "../../stream/notify/config.ts";
import { createDispatchStage, type DispatchStage } from "../../stream/notify/dispatch.stage.ts";
import { createOutboundAgents } from "../../stream/notify/outbound-http.ts";
import type { NameResolver } from "../../stream/notify/ssrf.ts";
import { sampleValue } from "../support/metrics.ts";
import {
  addEndpoint,
  addOutboxRows,
  addSubscription,
  addTenant,
  attemptsOf,
  endpointRow,
  outboxRows,
  sampleNotification,
  type TestDatabase,
  testDatabase,
} from "./outbox-fixtures.ts";
import {
  newSubscriber,
  type Reply,
  type Subscriber,
  startPushService,
  startWebhookReceiver,
} from "./receivers.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const schedule = "0,50ms,100ms,150ms,200ms,200ms,200ms,200ms,200ms,200ms";

async function startDispatcher(
  t: TestDatabase,
  env: Record<string, string>,
  options: { ca?: string; resolve?: NameResolver } = {},
): Promise<{ stage: DispatchStage; registry: Registry }> {
  const registry = new Registry();
  const agents = createOutboundAgents(options.ca ? { ca: options.ca } : {});
  const stage = await createDispatchStage({
    db: t.db,
    config: loadNotifyConfig({
      NOTIFY_RETRY_SCHEDULE: schedule,
      NOTIFY_WEBHOOK_DEADLINE_MS: "300",
      NOTIFY_PUSH_DEADLINE_MS: "2000",
      NOTIFY_LEASE_MS: "5000",
      NOTIFY_POLL_INTERVAL_MS: "20",
      NOTIFY_CONCURRENCY: "16",
      NOTIFY_EXTERNAL_URL: "https://gridpulse.test",
      ...env,
    }),
    registry,
    logger: process.env.DEBUG_DISPATCH
      ? createLogger({ service: "t", level: "debug" })
      : silentLogger,
    agents,
    // Every test host name is a loopback receiver; only the allowlist decides what may be contacted.
    resolve: options.resolve ?? (async () => [{ address: "127.0.0.1", family: 4 }]),
  });
  await stage.start();
  cleanups.push(
    () => agents.destroy(),
    () => stage.stop(),
  );
  return { stage, registry };
}

async function database() {
  const t = await testDatabase();
  cleanups.push(() => t.close());
  return t;
}

async function receiver(secrets: string[], reply?: Reply) {
  const r = await startWebhookReceiver(secrets, reply);
  cleanups.push(() => r.close());
  return r;
}

const settled = async (t: TestDatabase, n: number) =>
  waitFor(
    `${n} outbox rows settled`,
    async () => (await outboxRows(t)).filter((r) => r.status !== "pending").length >= n,
    { timeoutMs: 60_000, intervalMs: 50 },
  );

describe("notification dispatcher", () => {
  it("delivers every message through a flaky receiver during a secret rotation, exactly once after dedup", async () => {
    const t = await database();
    const tenant = await addTenant(t);
    const oldSecret = generateWebhookSecret();
    const newSecret = generateWebhookSecret();
    const seen = new Map<string, number>();
    // Per message: the first attempt fails with 500 for every other message and never answers for
    // one in ten (the dispatcher's 300 ms deadline passes); the second fails for one in four.
    const r = await receiver([oldSecret, newSecret], (req) => {
      const n = (seen.get(req.id) ?? 0) + 1;
      seen.set(req.id, n);
      const i = Number(JSON.parse(req.body).data.groupKey.split("-")[1]);
      if (n === 1 && i % 10 === 1) return { status: 200, hang: true };
      if (n === 1 && i % 2 === 0) return { status: 500 };
      if (n === 2 && i % 4 === 0) return { status: 503, headers: { "retry-after": "0" } };
      return { status: 200 };
    });
    const endpoint = await addEndpoint(t, tenant, `${r.url}/hooks?token=abc`, [
      {
        secret: oldSecret,
        createdAtMs: Date.now() - 86_400_000,
        expiresAtMs: Date.now() + 600_000,
      },
      { secret: newSecret, createdAtMs: Date.now(), expiresAtMs: null },
    ]);
    const total = 100;
    await addOutboxRows(
      t,
      Array.from({ length: total }, (_, i) => ({
        tenantId: tenant,
        channel: "webhook" as const,
        targetId: endpoint,
        idempotencyKey: `ntf_${i}`,
        payload: { type: "alert" as const, notification: sampleNotification(i) },
      })),
    );
    const { registry } = await startDispatcher(t, {
      NOTIFY_OUTBOUND_ALLOWLIST: `127.0.0.1:${r.port}`,
    });
    await settled(t, total);

    const rows = await outboxRows(t);
    expect(rows.every((row) => row.status === "delivered")).toBe(true);
    // Every request verified with both the old and the new secret (rotation grace period).
    expect(r.rejected).toBe(0);
    expect(r.received.every((x) => x.verifiedWith.join() === "0,1")).toBe(true);
    // Dedup by webhook-id: each message exactly once, and every retry carried the same bytes.
    const bodies = new Map<string, Set<string>>();
    for (const x of r.received) bodies.set(x.id, (bodies.get(x.id) ?? new Set()).add(x.body));
    expect([...bodies.keys()].sort()).toEqual(
      Array.from({ length: total }, (_, i) => `ntf_${i}`).sort(),
    );
    expect([...bodies.values()].every((b) => b.size === 1)).toBe(true);
    // Retries happened as planned: 50 + 10 first-attempt failures (the 10 hung ones were processed),
    // 25 second-attempt failures; more only if a slow 2xx missed the 300 ms deadline on this machine.
    const attempts = await attemptsOf(t);
    expect(r.received.length).toBeGreaterThanOrEqual(total + 50 + 10 + 25);
    expect(attempts.length).toBeGreaterThanOrEqual(r.received.length);
    expect(rows.reduce((s, row) => s + row.attempts, 0)).toBe(attempts.length);
    const hung = attempts.filter((a) => a.statusCode === null);
    expect(hung.length).toBeGreaterThanOrEqual(10);
    expect(
      hung.every(
        (a) => a.outcome === "retry" && a.responseExcerpt === "[deadline of 300 ms passed]",
      ),
    ).toBe(true);
    const text = await registry.metrics();
    expect(
      sampleValue(text, "gridpulse_notify_deliveries_total", {
        channel: "webhook",
        outcome: "delivered",
      }),
    ).toBe(total);
    expect(
      sampleValue(text, "gridpulse_notify_deliveries_total", {
        channel: "webhook",
        outcome: "retry",
      }),
    ).toBe(attempts.length - total);
    expect(text).toContain('gridpulse_notify_retry_backlog{channel="push"} 0');
    expect((await endpointRow(t, endpoint))?.failingSinceMs).toBeNull();
  });

  it("410 disables the endpoint, cancels its pending rows and tells the owner's other endpoint", async () => {
    const t = await database();
    const tenant = await addTenant(t);
    const secret = generateWebhookSecret();
    const gone = await receiver([secret], () => ({ status: 410 }));
    const other = await receiver([secret]);
    const goneId = await addEndpoint(t, tenant, `${gone.url}/x`, [
      { secret, createdAtMs: 0, expiresAtMs: null },
    ]);
    const otherId = await addEndpoint(t, tenant, other.url, [
      { secret, createdAtMs: 0, expiresAtMs: null },
    ]);
    // The tenant's push subscription is told too (its push host is not allowed here: the notice row
    // is written, its attempt blocked).
    const subscription = await addSubscription(
      t,
      tenant,
      "https://push.not-allowed.test/s",
      newSubscriber().keys,
    );
    const later = Date.now() + 3_600_000;
    await addOutboxRows(t, [
      {
        tenantId: tenant,
        channel: "webhook",
        targetId: goneId,
        idempotencyKey: "first",
        payload: { type: "test" },
        trigger: "test",
      },
      ...[1, 2, 3].map((i) => ({
        tenantId: tenant,
        channel: "webhook" as const,
        targetId: goneId,
        idempotencyKey: `later_${i}`,
        payload: { type: "alert" as const, notification: sampleNotification(i) },
        nextAttemptAtMs: later,
      })),
    ]);
    const { stage, registry } = await startDispatcher(t, {
      NOTIFY_OUTBOUND_ALLOWLIST: `127.0.0.1:${gone.port},127.0.0.1:${other.port}`,
    });
    await waitFor("owner notice delivered", async () => other.received.length >= 1, {
      timeoutMs: 20_000,
      intervalMs: 20,
    });
    const disabled = await endpointRow(t, goneId);
    expect(disabled?.disabledAtMs).toBeGreaterThan(0);
    expect(disabled?.disabledReason).toContain("410");
    const rows = await outboxRows(t);
    const byKey = Object.fromEntries(rows.map((row) => [row.idempotencyKey, row]));
    expect(byKey.first?.status).toBe("failed");
    expect(byKey.first?.lastError).toContain("endpoint_gone");
    expect(["later_1", "later_2", "later_3"].map((k) => byKey[k]?.status)).toEqual([
      "cancelled",
      "cancelled",
      "cancelled",
    ]);
    expect(gone.received).toHaveLength(1);
    // The notice: a signed, deterministic message naming the endpoint by origin, not by its path.
    const notice = other.received[0];
    expect(notice?.verifiedWith).toEqual([0]);
    expect(notice?.id).toBe(`endpoint_disabled:${goneId}:${disabled?.disabledAtMs}`);
    const body = JSON.parse(notice?.body ?? "{}");
    expect(body.data.alerts[0].labels).toMatchObject({
      alertname: "GridpulseWebhookEndpointDisabled",
      endpoint_id: goneId,
      severity: "info",
    });
    expect(body.data.alerts[0].annotations.summary).toContain(gone.url);
    expect(notice?.body).not.toContain("/x");
    const noticeRow = rows.find((row) => row.targetId === otherId);
    expect(noticeRow).toMatchObject({ trigger: "endpoint_disabled" });
    const pushNotice = rows.find((row) => row.targetId === subscription);
    expect(pushNotice).toMatchObject({
      channel: "push",
      trigger: "endpoint_disabled",
      idempotencyKey: notice?.id,
    });
    expect(rows.filter((row) => row.trigger === "endpoint_disabled")).toHaveLength(2);
    // A row written for the disabled endpoint afterwards is cancelled without an attempt.
    await addOutboxRows(t, [
      {
        tenantId: tenant,
        channel: "webhook",
        targetId: goneId,
        idempotencyKey: "after",
        payload: { type: "test" },
      },
    ]);
    await waitFor(
      "row for the disabled endpoint cancelled",
      async () =>
        (await outboxRows(t)).find((row) => row.idempotencyKey === "after")?.status === "cancelled",
      { timeoutMs: 10_000, intervalMs: 20 },
    );
    expect(gone.received).toHaveLength(1);
    await stage.dispatcher.refreshGauges();
    const text = await registry.metrics();
    expect(sampleValue(text, "gridpulse_notify_endpoints_disabled", { channel: "webhook" })).toBe(
      1,
    );
    expect(
      sampleValue(text, "gridpulse_notify_deliveries_total", {
        channel: "webhook",
        outcome: "disable_endpoint",
      }),
    ).toBe(1);
  });

  it("disables an endpoint that only failed for the (compressed) period", async () => {
    const t = await database();
    const tenant = await addTenant(t);
    const secret = generateWebhookSecret();
    const down = await receiver([secret], () => ({ status: 503 }));
    const id = await addEndpoint(t, tenant, down.url, [
      { secret, createdAtMs: 0, expiresAtMs: null },
    ]);
    await addOutboxRows(t, [
      {
        tenantId: tenant,
        channel: "webhook",
        targetId: id,
        idempotencyKey: "k",
        payload: { type: "alert", notification: sampleNotification(1) },
      },
    ]);
    await startDispatcher(t, {
      NOTIFY_OUTBOUND_ALLOWLIST: `127.0.0.1:${down.port}`,
      NOTIFY_RETRY_SCHEDULE: Array(30).fill("100ms").join(","),
      NOTIFY_ENDPOINT_DISABLE_AFTER_MS: "500",
    });
    await settled(t, 1);
    const endpoint = await endpointRow(t, id);
    expect(endpoint?.disabledReason).toMatch(/^only failures since /);
    expect(endpoint?.failingSinceMs).toBeGreaterThan(0);
    expect((endpoint?.disabledAtMs ?? 0) - (endpoint?.failingSinceMs ?? 0)).toBeGreaterThanOrEqual(
      500,
    );
    const [row] = await outboxRows(t);
    expect(row?.status).toBe("failed");
    // The first failure started the clock; the attempt that found 500 ms passed disabled it.
    expect(down.received.length).toBeGreaterThanOrEqual(5);
    expect(down.received.length).toBe(row?.attempts);
  });

  it("sends Alertmanager webhook v4 bodies to an endpoint in that format", async () => {
    const t = await database();
    const tenant = await addTenant(t);
    const secret = generateWebhookSecret();
    const r = await receiver([secret]);
    const id = await addEndpoint(
      t,
      tenant,
      r.url,
      [{ secret, createdAtMs: 0, expiresAtMs: null }],
      {
        format: "alertmanager",
      },
    );
    await addOutboxRows(t, [
      {
        tenantId: tenant,
        channel: "webhook",
        targetId: id,
        idempotencyKey: "am",
        payload: { type: "alert", notification: sampleNotification(7, "ticket") },
      },
    ]);
    await startDispatcher(t, { NOTIFY_OUTBOUND_ALLOWLIST: `127.0.0.1:${r.port}` });
    await settled(t, 1);
    const body = JSON.parse(r.received[0]?.body ?? "{}");
    expect(body).toMatchObject({
      version: "4",
      status: "firing",
      receiver: id,
      groupKey: "group-7",
      truncatedAlerts: 0,
      externalURL: "https://gridpulse.test",
      groupLabels: { alertname: "SloBurn" },
      commonLabels: { alertname: "SloBurn", severity: "ticket", slo_id: "checkout" },
    });
    expect(body.alerts[0]).toMatchObject({
      status: "firing",
      fingerprint: "fp-7",
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "https://gridpulse.test/v1/alerts/fp-7",
    });
    expect(r.received[0]?.verifiedWith).toEqual([0]);
  });

  it("pushes encrypted messages with VAPID, TTL, urgency and topic; 410 deletes the subscription", async () => {
    const t = await database();
    const tenant = await addTenant(t);
    const vapid = await loadVapidKeys({ store: memoryVapidKeyStore() });
    const subscribers = new Map<string, Subscriber>();
    const service = await startPushService({
      hostname: "push.test",
      vapidPublicKey: vapid.publicKey,
      subscribers,
      reply: (path) => (path === "/gone" ? { status: 410 } : { status: 201 }),
    });
    cleanups.push(() => service.close());
    const subscribe = async (path: string) => {
      const s = newSubscriber();
      subscribers.set(path, s);
      return addSubscription(t, tenant, `${service.origin}${path}`, s.keys);
    };
    const live = await subscribe("/live");
    const gone = await subscribe("/gone");
    const later = Date.now() + 3_600_000;
    await addOutboxRows(t, [
      {
        tenantId: tenant,
        channel: "push",
        targetId: live,
        idempotencyKey: "p1",
        payload: { type: "alert", notification: sampleNotification(1, "page") },
      },
      {
        tenantId: tenant,
        channel: "push",
        targetId: live,
        idempotencyKey: "p2",
        payload: { type: "test" },
        trigger: "test",
      },
      {
        tenantId: tenant,
        channel: "push",
        targetId: gone,
        idempotencyKey: "g1",
        payload: { type: "alert", notification: sampleNotification(2, "ticket") },
      },
      {
        tenantId: tenant,
        channel: "push",
        targetId: gone,
        idempotencyKey: "g2",
        payload: { type: "alert", notification: sampleNotification(3) },
        nextAttemptAtMs: later,
      },
    ]);
    await startDispatcher(
      t,
      {
        NOTIFY_OUTBOUND_ALLOWLIST: `127.0.0.1:${service.port}`,
        NOTIFY_PUSH_HOSTS: "push.test",
        NOTIFY_PUSH_TTL_S: "600",
        VAPID_PUBLIC_KEY: vapid.publicKey,
        VAPID_PRIVATE_KEY: vapid.privateKey,
      },
      { ca: service.ca },
    );
    await settled(t, 4);
    expect(service.errors).toEqual([]);
    const byKey = Object.fromEntries((await outboxRows(t)).map((row) => [row.idempotencyKey, row]));
    expect([byKey.p1?.status, byKey.p2?.status]).toEqual(["delivered", "delivered"]);
    expect(byKey.g1?.status).toBe("failed");
    expect(byKey.g2?.status).toBe("cancelled");
    const subs = await t.db.select().from(pushSubscriptions);
    expect(subs.map((s) => s.id)).toEqual([live]);
    const alert = service.received.find(
      (m) => m.path === "/live" && m.plaintext.includes("SloBurn"),
    );
    expect(JSON.parse(alert?.plaintext ?? "{}")).toMatchObject({
      v: 1,
      title: "SloBurn: 1 firing",
      severity: "page",
      url: "https://gridpulse.test/v1/alerts?group=group-1",
    });
    expect(alert?.headers).toMatchObject({
      ttl: "600",
      urgency: "high",
      topic: await pushTopicFor("group-1"),
    });
    expect(alert?.jwt.claims.aud).toBe(service.origin);
    const test = service.received.find((m) => m.plaintext.includes("test notification"));
    expect(test?.headers.urgency).toBe("low");
    const attempts = await attemptsOf(t, byKey.g1?.id);
    expect(attempts.map((a) => [a.statusCode, a.outcome])).toEqual([[410, "delete_subscription"]]);
  });

  it("retries a name that did not resolve for a moment (a DNS failure is a network error, not a refusal)", async () => {
    const t = await database();
    const tenant = await addTenant(t);
    const secret = generateWebhookSecret();
    const target = await receiver([secret]);
    const id = await addEndpoint(t, tenant, `http://hooks.example.test:${target.port}/in`, [
      { secret, createdAtMs: 0, expiresAtMs: null },
    ]);
    await addOutboxRows(t, [
      {
        tenantId: tenant,
        channel: "webhook",
        targetId: id,
        idempotencyKey: "dns",
        payload: { type: "alert", notification: sampleNotification(1) },
      },
    ]);
    let lookups = 0;
    const { registry } = await startDispatcher(
      t,
      { NOTIFY_OUTBOUND_ALLOWLIST: `127.0.0.1:${target.port}` },
      {
        // The resolver fails once (a resolver time-out), then answers.
        resolve: async () => {
          lookups++;
          if (lookups === 1)
            throw Object.assign(new Error("getaddrinfo EAI_AGAIN"), { code: "EAI_AGAIN" });
          return [{ address: "127.0.0.1", family: 4 }];
        },
      },
    );
    await settled(t, 1);
    const [row] = await outboxRows(t);
    expect(row?.status).toBe("delivered");
    const attempts = await attemptsOf(t, row?.id);
    expect(attempts.map((a) => a.outcome)).toEqual(["retry", "delivered"]);
    expect(attempts[0]?.responseExcerpt).toContain("DNS: EAI_AGAIN");
    expect(target.received).toHaveLength(1);
    const text = await registry.metrics();
    expect(
      sampleValue(text, "gridpulse_notify_deliveries_total", {
        channel: "webhook",
        outcome: "blocked",
      }),
    ).toBe(0);
    expect(
      sampleValue(text, "gridpulse_notify_deliveries_total", {
        channel: "webhook",
        outcome: "retry",
      }),
    ).toBe(1);
  });

  it("blocks (and logs) an endpoint whose name resolves to loopback without an allowlist entry", async () => {
    const t = await database();
    const tenant = await addTenant(t);
    const secret = generateWebhookSecret();
    const target = await receiver([secret]);
    const allowed = await receiver([secret]);
    const id = await addEndpoint(t, tenant, `http://hooks.example.test:${target.port}/in`, [
      { secret, createdAtMs: 0, expiresAtMs: null },
    ]);
    await addOutboxRows(t, [
      {
        tenantId: tenant,
        channel: "webhook",
        targetId: id,
        idempotencyKey: "ssrf",
        payload: { type: "alert", notification: sampleNotification(1) },
      },
    ]);
    // Another loopback port is allowlisted: the exception is exact, not "loopback is fine".
    const { registry } = await startDispatcher(t, {
      NOTIFY_OUTBOUND_ALLOWLIST: `127.0.0.1:${allowed.port}`,
    });
    await settled(t, 1);
    const [row] = await outboxRows(t);
    expect(row?.status).toBe("failed");
    expect(row?.lastError).toContain("blocked");
    const attempts = await attemptsOf(t, row?.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ outcome: "blocked", statusCode: null });
    expect(attempts[0]?.responseExcerpt).toContain("loopback");
    expect(attempts[0]?.responseExcerpt).not.toContain("/in");
    expect(target.received).toHaveLength(0);
    const text = await registry.metrics();
    expect(
      sampleValue(text, "gridpulse_notify_deliveries_total", {
        channel: "webhook",
        outcome: "blocked",
      }),
    ).toBe(1);
  });
});
