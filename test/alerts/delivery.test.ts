/**
 * Alerts end to end, from RequestEvents on the real broker to a signed webhook and an encrypted Web
 * Push message at local receivers, with everything configured through the API as a client would:
 * SLOs (default SRE-workbook tiers), the notification policy, a webhook endpoint, a push subscription
 * and a silence. The stream worker runs every stage (aggregate, evaluate, market, alerts, dispatch).
 *
 * For each of several services, a synthetic outage (a burst of 5xx after a baseline of good requests)
 * fires the SLO's page tier; the test takes the event time of the request that made the first page
 * tier's burn-rate condition true (the 6h/30m tier at 6x the budget: both windows hold the same
 * requests here) and the webhook's arrival at the receiver, and prints detection-to-delivery p50/p99.
 * Every webhook verifies with the `standardwebhooks` package and the secret the API showed once; every
 * push message decrypts with the subscriber's keys (http_ece) and carries a valid VAPID JWT. A silenced
 * SLO's outage is never notified; one outage ends and its resolved notification arrives on both
 * channels.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Producer } from "kafkajs";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import webpush from "web-push";
import { topicName } from "../../core/events/topics.ts";
import { createTenantWithAdminKey } from "../../core/tenants/tenants.service.ts";
import { waitFor } from "../../dev/net.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { eventProducer } from "../../platform/kafka.ts";
import {
  newSubscriber,
  type PushService,
  type Subscriber,
  startPushService,
  startWebhookReceiver,
  type WebhookReceiver,
} from "../notify/receivers.ts";
import { callApi } from "../support/api-client.ts";
import { createTopics, testKafka, uniquePrefix } from "../support/kafka.ts";
import { type ServiceProcess, startService } from "../support/processes.ts";
import { startStreamWorker } from "../support/stream.ts";
import { requests, sendRequests } from "./fixtures.ts";

const kafka = testKafka();
const objective = 0.999;
/** Outages measured; one more service is silenced. */
const measured = 12;
const baseline = 1000;
const outageErrors = 40;
/** The first page tier to fire (6h/30m) burns at 6x: the error ratio must exceed 6 x 0.1%. */
const firstPageFactor = 6;

const stops: { stop(): Promise<unknown> }[] = [];
let api: ServiceProcess;
let apiKey: string;
let receiver: WebhookReceiver;
let push: PushService;
let producer: Producer;
let requestsTopic: string;
/** Arrival time of each received webhook, by index in receiver.received. */
const arrivals: number[] = [];
const subscriber: Subscriber = newSubscriber();

const call = (path: string, method = "GET", json?: unknown) =>
  callApi(api.url, apiKey, path, method, json);

beforeAll(async () => {
  const prefix = uniquePrefix();
  await createTopics(kafka, prefix);
  requestsTopic = topicName(prefix, "requests");
  // VAPID keys configured for both processes; the push service checks the JWTs against the public key.
  const vapid = webpush.generateVAPIDKeys();
  push = await startPushService({
    hostname: "127.0.0.1",
    vapidPublicKey: vapid.publicKey,
    subscribers: new Map([["/sub/1", subscriber]]),
  });
  stops.push({ stop: () => push.close() });
  receiver = await startWebhookReceiver([], (_req, n) => {
    arrivals[n - 1] = Date.now();
    return { status: 204 };
  });
  stops.push({ stop: () => receiver.close() });
  const caFile = join(mkdtempSync(join(tmpdir(), "gridpulse-e2e-ca-")), "ca.pem");
  writeFileSync(caFile, push.ca);
  const notifyEnv = {
    // Both receivers are on loopback: allowed explicitly (registration and every attempt).
    NOTIFY_OUTBOUND_ALLOWLIST: `127.0.0.1:${receiver.port},127.0.0.1:${push.port}`,
    NOTIFY_PUSH_HOSTS: "127.0.0.1",
    VAPID_PUBLIC_KEY: vapid.publicKey,
  };
  const stream = await startStreamWorker(prefix, {
    env: {
      ...notifyEnv,
      VAPID_PRIVATE_KEY: vapid.privateKey,
      VAPID_SUBJECT: "mailto:ops@gridpulse.test",
      // The push service's self-signed certificate, trusted by the worker's TLS.
      NODE_EXTRA_CA_CERTS: caFile,
      STREAM_EVAL_INTERVAL_MS: "200",
      STREAM_ALERT_EVAL_INTERVAL_MS: "250",
      NOTIFY_RETRY_SCHEDULE: "0,1s,2s,5s",
      LOG_LEVEL: "warn",
    },
  });
  stops.push(stream.worker);
  const { db, close } = await openDatabase({ url: stream.databaseUrl });
  const tenant = await createTenantWithAdminKey(db, { name: "alerts-e2e", nowMs: Date.now() });
  close();
  apiKey = tenant.apiKey.key;
  api = await startService("api/node.ts", {
    DATABASE_URL: stream.databaseUrl,
    LOG_LEVEL: "warn",
    RATE_LIMIT_PER_S: "100000",
    RATE_LIMIT_BURST: "100000",
    ...notifyEnv,
  });
  stops.push(api);
  producer = eventProducer(kafka);
  await producer.connect();
  stops.push({ stop: () => producer.disconnect() });
}, 180_000);

afterAll(async () => {
  for (const s of stops.reverse()) await s.stop().catch(() => {});
});

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;

describe("alerts delivered end to end", () => {
  it("an outage fires the page tier: signed webhook and push arrive; silence holds; resolution arrives", async () => {
    const run = Date.now().toString(36);
    const services = Array.from({ length: measured + 1 }, (_, i) => `e2e-${run}-${i}`);
    const sloIds: string[] = [];
    for (const service of services) {
      const res = await call("/v1/slos", "POST", {
        name: `${service} availability`,
        service,
        sli: { kind: "availability" },
        objective,
        window: { kind: "rolling", days: 30 },
        minEvents: 1,
      });
      expect(res.status).toBe(201);
      sloIds.push(res.body.id as string);
    }
    const policy = await call("/v1/notification-policy", "PUT", {
      route: {
        group_by: ["alertname", "slo_id"],
        group_wait: 0,
        group_interval: 1000,
        repeat_interval: 3_600_000,
        send_resolved: true,
      },
      inhibitRules: null,
    });
    expect(policy.status).toBe(200);
    const endpoint = await call("/v1/webhooks", "POST", {
      url: `${receiver.url}/hooks/gridpulse`,
      format: "gridpulse",
    });
    expect(endpoint.status).toBe(201);
    const secret = endpoint.body.secret as string;
    expect(secret).toMatch(/^whsec_/);
    const vapidKey = await call("/v1/push/vapid-public-key");
    expect(vapidKey.status).toBe(200);
    const subscription = await call("/v1/push/subscriptions", "POST", {
      endpoint: `${push.origin}/sub/1`,
      keys: subscriber.keys,
      filters: { severities: ["page"] },
    });
    expect(subscription.status).toBe(201);
    const silence = await call("/v1/silences", "POST", {
      matchers: [{ name: "slo_id", type: "=", value: sloIds[measured] }],
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      comment: "maintenance",
    });
    expect(silence.status).toBe(201);

    // Baseline: good requests in the last minute, for every service.
    const t0 = Date.now() - 60_000;
    await sendRequests(
      producer,
      requestsTopic,
      services.flatMap((s) => requests(s, baseline, 200, t0)),
    );

    type Body = {
      data: { status: string; alerts: { status: string; labels: Record<string, string> }[] };
    };
    const webhooksFor = (sloId: string) =>
      receiver.received
        .map((r, i) => ({ r, at: arrivals[i] as number, body: JSON.parse(r.body) as Body }))
        .filter(({ body }) => body.data?.alerts?.some((a) => a.labels.slo_id === sloId));

    // Outages one after another; the detection moment is the event time of the error that took the
    // ratio errors / (baseline + errors) above 6 x (1 - objective).
    const latencies: number[] = [];
    const crossing = Array.from({ length: outageErrors }, (_, i) => i + 1).find(
      (e) => e / (baseline + e) > firstPageFactor * (1 - objective),
    ) as number;
    for (let i = 0; i <= measured; i++) {
      const service = services[i] as string;
      const startMs = Date.now();
      await sendRequests(producer, requestsTopic, requests(service, outageErrors, 503, startMs));
      if (i === measured) continue;
      const detectedAtMs = startMs + crossing - 1;
      const [first] = await waitFor(
        `the page webhook of ${service}`,
        async () => {
          const got = webhooksFor(sloIds[i] as string);
          return got.length > 0 ? got : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 50 },
      );
      expect(first?.body.data.alerts.some((a) => a.labels.severity === "page")).toBe(true);
      latencies.push((first?.at as number) - detectedAtMs);
    }
    latencies.sort((a, b) => a - b);
    console.log(
      `detection-to-delivery (${latencies.length} outages, event time of the crossing request -> webhook at the receiver): p50 ${quantile(latencies, 0.5)} ms, p99 ${quantile(latencies, 0.99)} ms, all ${latencies.join(", ")} ms`,
    );

    // Push: one page message per measured outage (the ticket tiers are inhibited by the pages).
    await waitFor("a push message per outage", async () => push.received.length >= measured, {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    expect(push.errors).toEqual([]);
    for (const message of push.received) {
      expect(message.jwt.claims.aud).toBe(push.origin);
      expect(message.jwt.claims.sub).toBe("mailto:ops@gridpulse.test");
      expect(Number(message.jwt.claims.exp) * 1000).toBeLessThanOrEqual(
        Date.now() + 24 * 3_600_000,
      );
      expect(Number(message.headers.ttl)).toBeGreaterThan(0);
      expect(message.headers.urgency).toBe("high");
      expect(JSON.parse(message.plaintext)).toMatchObject({ status: "firing", severity: "page" });
    }

    // The silenced SLO fires (its alert rows say so) but nothing is sent for it.
    await waitFor(
      "the silenced SLO's page alert to fire",
      async () => {
        const list = await call("/v1/alerts?status=firing");
        return (list.body.data as { labels: Record<string, string> }[] | undefined)?.some(
          (a) => a.labels.slo_id === sloIds[measured] && a.labels.severity === "page",
        );
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(webhooksFor(sloIds[measured] as string)).toEqual([]);

    // The first outage ends: good requests take the ratio below the page factors (not below the
    // ticket's), so the pages resolve; the notification lists them as resolved.
    await sendRequests(
      producer,
      requestsTopic,
      requests(services[0] as string, 9000, 200, Date.now()),
    );
    const resolved = await waitFor(
      "the resolved page notification",
      async () =>
        webhooksFor(sloIds[0] as string).find(({ body }) =>
          body.data.alerts.some((a) => a.labels.severity === "page" && a.status === "resolved"),
        ),
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    expect(resolved).toBeDefined();
    // The ticket tier, no longer inhibited, fires in the same group: the push message lists the
    // resolved pages (✓ lines) next to it.
    await waitFor(
      "the push message listing the resolved pages",
      async () => push.received.some((m) => (JSON.parse(m.plaintext).body as string).includes("✓")),
      { timeoutMs: 30_000, intervalMs: 100 },
    );

    // Every webhook verifies with the standardwebhooks package and the secret shown at creation;
    // after deduplication by webhook-id each notification was received once.
    const verifier = new Webhook(secret);
    for (const r of receiver.received)
      expect(() => verifier.verify(r.body, r.headers as Record<string, string>)).not.toThrow();
    const ids = receiver.received.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(receiver.received.length).toBeGreaterThanOrEqual(measured + 1);
  }, 240_000);
});
