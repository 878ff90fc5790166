/**
 * One trace from the edge to the notification, read back from a real trace backend (Zipkin from Maven
 * Central, in memory, on loopback). The API (Node) and the stream worker (every stage) export their
 * spans to it. One request to the API, `GET /v1/me`, makes a latency-threshold rule on that route fire;
 * the test takes the trace id from the `traceparent` the webhook receiver got, asks Zipkin's API for
 * the trace and checks its tree: the API's SERVER span (root) → stage 1's span continuing the
 * RequestEvent's traceparent → stage 2's span continuing the partial's → the firing → the outbox row
 * → the webhook attempt, whose span is the one the receiver's `traceparent` names. It also checks that
 * the API's access-log line of that request carries the trace and span ids.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenantWithAdminKey } from "../../core/tenants/tenants.service.ts";
import { waitFor } from "../../dev/net.ts";
import type { ZipkinServer } from "../../dev/zipkin/server.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../notify/receivers.ts";
import { callApi } from "../support/api-client.ts";
import { brokers, createTopics, testKafka, uniquePrefix } from "../support/kafka.ts";
import { type ServiceProcess, startService } from "../support/processes.ts";
import { startStreamWorker } from "../support/stream.ts";
import {
  exportTo,
  formatTree,
  readTrace,
  startTestZipkin,
  type ZipkinSpan,
} from "../support/zipkin.ts";

const stops: { stop(): Promise<unknown> }[] = [];
let zipkin: ZipkinServer;
let api: ServiceProcess;
let apiKey: string;
let receiver: WebhookReceiver;
const service = `traced-api-${Date.now().toString(36)}`;

const call = (path: string, method = "GET", json?: unknown) =>
  callApi(api.url, apiKey, path, method, json);

beforeAll(async () => {
  const prefix = uniquePrefix();
  zipkin = await startTestZipkin();
  stops.push(zipkin);
  await createTopics(testKafka(), prefix);
  receiver = await startWebhookReceiver([]);
  stops.push({ stop: () => receiver.close() });
  const allow = { NOTIFY_OUTBOUND_ALLOWLIST: `127.0.0.1:${receiver.port}` };
  const stream = await startStreamWorker(prefix, {
    env: {
      ...allow,
      ...exportTo(zipkin),
      STREAM_EVAL_INTERVAL_MS: "200",
      STREAM_ALERT_EVAL_INTERVAL_MS: "250",
      LOG_LEVEL: "warn",
    },
  });
  stops.push(stream.worker);
  const { db, close } = await openDatabase({ url: stream.databaseUrl });
  apiKey = (await createTenantWithAdminKey(db, { name: "traced", nowMs: Date.now() })).apiKey.key;
  close();
  api = await startService("api/node.ts", {
    ...allow,
    ...exportTo(zipkin),
    DATABASE_URL: stream.databaseUrl,
    KAFKA_BROKERS: brokers().join(","),
    KAFKA_TOPIC_PREFIX: prefix,
    SERVICE_NAME: service,
    API_METRICS_PORT: "0",
    LOG_LEVEL: "info",
  });
  stops.push(api);
}, 240_000);

afterAll(async () => {
  for (const s of stops.reverse()) await s.stop().catch(() => {});
});

describe("one trace from the API request to the webhook", () => {
  it("links request, stage 1, stage 2, firing, outbox row and webhook attempt in Zipkin", async () => {
    // Set up through the API (those requests have their own traces and other routes).
    const rule = await call("/v1/alert-rules", "POST", {
      name: "MeLatency",
      kind: "latency_threshold",
      severity: "page",
      labels: {},
      annotations: {},
      params: { service, route: "/v1/me", quantile: "p50", window: "5m", thresholdMs: 0.001 },
    });
    expect(rule.status).toBe(201);
    expect(
      (
        await call("/v1/notification-policy", "PUT", {
          route: { group_by: ["alertname"], group_wait: 0, group_interval: 1000 },
        })
      ).status,
    ).toBe(200);
    expect(
      (await call("/v1/webhooks", "POST", { url: `${receiver.url}/hook`, format: "gridpulse" }))
        .status,
    ).toBe(201);

    // The one request of the route: its trace is the one the webhook must continue.
    const me = await call("/v1/me");
    expect(me.status).toBe(200);
    const delivered = await waitFor("the firing's webhook", async () => receiver.received[0], {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    const traceparent = String(delivered.headers.traceparent);
    const [, traceId, webhookSpanId, flags] = traceparent.split("-");
    expect(flags).toBe("01");

    const names = [
      "get /v1/me",
      "gridpulse.aggregate.batch.event",
      "gridpulse.evaluate.batch.event",
      "gridpulse.alert.fire",
      "gridpulse.alert.outbox",
      "gridpulse.notify.webhook",
    ];
    const spans = await waitFor(
      "the whole trace in zipkin",
      async () => {
        const got = await readTrace(zipkin, traceId as string);
        return names.every((n) => got.some((s) => s.name === n)) ? got : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    console.log(`trace ${traceId}:\n${formatTree(spans)}`);

    const one = (name: string): ZipkinSpan => {
      const found = spans.filter((s) => s.name === name);
      expect(found, name).toHaveLength(1);
      return found[0] as ZipkinSpan;
    };
    const request = one("get /v1/me");
    const stage1 = one("gridpulse.aggregate.batch.event");
    const stage2 = one("gridpulse.evaluate.batch.event");
    const fire = one("gridpulse.alert.fire");
    const outbox = one("gridpulse.alert.outbox");
    const attempt = one("gridpulse.notify.webhook");
    // The chain, parent by parent, from the API's root span.
    expect(request.parentId).toBeUndefined();
    expect(stage1.parentId).toBe(request.id);
    expect(stage2.parentId).toBe(stage1.id);
    expect(fire.parentId).toBe(stage2.id);
    expect(outbox.parentId).toBe(fire.id);
    expect(attempt.parentId).toBe(outbox.id);
    // The receiver saw the attempt's own span.
    expect(attempt.id).toBe(webhookSpanId);

    expect(request).toMatchObject({
      kind: "SERVER",
      localEndpoint: { serviceName: "gridpulse-api" },
      tags: { "http.route": "/v1/me", "http.response.status_code": "200" },
    });
    expect(stage1.localEndpoint?.serviceName).toBe("gridpulse-stream");
    expect(stage1.tags?.["messaging.destination.name"]).toMatch(/telemetry\.requests\.v1$/);
    expect(stage2.tags?.["messaging.destination.name"]).toMatch(/telemetry\.aggregates\.v1$/);
    expect(fire.tags).toMatchObject({
      "gridpulse.alert.rule_id": rule.body.id,
      "gridpulse.alert.name": "MeLatency",
      "gridpulse.alert.from": "inactive",
    });
    expect(outbox.tags).toMatchObject({ "gridpulse.outbox.channel": "webhook" });
    expect(attempt).toMatchObject({
      kind: "CLIENT",
      tags: {
        "gridpulse.notify.outcome": "delivered",
        "http.response.status_code": "204",
        "gridpulse.webhook.id": String(delivered.headers["webhook-id"]),
      },
    });

    // The API's access-log line of the request carries its trace and span.
    const line = api
      .output()
      .split("\n")
      .filter((l) => l.includes('"route":"/v1/me"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)[0];
    expect(line).toMatchObject({ msg: "request", trace_id: traceId, span_id: request.id });
  }, 180_000);
});
