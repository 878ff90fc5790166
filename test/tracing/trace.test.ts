/**
 * One trace from the edge to the notification, read back from a real trace backend (Zipkin from Maven
 * Central, in memory, on loopback). The API (Node) and the stream worker (every stage) export their
 * spans to it. One request to the API, `GET /v1/me`, makes a latency-threshold rule on that route fire;
 * the request comes with a caller's `traceparent` and `tracestate`. The test takes the trace id from
 * the `traceparent` the webhook receiver got, asks Zipkin's API for the trace and checks its tree:
 * the API's SERVER span (child of the caller's) → stage 1's `process` span continuing the
 * RequestEvent's traceparent → stage 2's `process` span continuing the partial's → the firing → the
 * outbox row → the webhook attempt, whose span is the one the receiver's `traceparent` names; and the
 * spans' semantic-convention attributes (HTTP server, Kafka consumer, HTTP client). It also checks
 * that the caller's tracestate travels with the trace on `telemetry.requests.v1` and
 * `telemetry.aggregates.v1`, and that the API's access-log line of that request carries the trace
 * and span ids.
 */
import { randomBytes } from "node:crypto";
import type { KafkaMessage } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenantWithAdminKey } from "../../core/tenants/tenants.service.ts";
import { waitFor } from "../../dev/net.ts";
import type { ZipkinServer } from "../../dev/zipkin/server.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../notify/receivers.ts";
import { callApi } from "../support/api-client.ts";
import {
  brokers,
  createTopics,
  readMessagesUntil,
  testKafka,
  uniquePrefix,
} from "../support/kafka.ts";
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
let prefix: string;
const service = `traced-api-${Date.now().toString(36)}`;

const call = (path: string, method = "GET", json?: unknown) =>
  callApi(api.url, apiKey, path, method, json);

beforeAll(async () => {
  prefix = uniquePrefix();
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

    // The one request of the route: its trace is the one the webhook must continue. It comes with
    // the caller's trace context.
    const callerTrace = randomBytes(16).toString("hex");
    const callerSpan = randomBytes(8).toString("hex");
    const tracestate = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";
    const me = await fetch(`${api.url}/v1/me`, {
      headers: {
        authorization: `Bearer ${apiKey}`,
        traceparent: `00-${callerTrace}-${callerSpan}-01`,
        tracestate,
      },
    });
    expect(me.status).toBe(200);
    const delivered = await waitFor("the firing's webhook", async () => receiver.received[0], {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    const traceparent = String(delivered.headers.traceparent);
    const [, traceId, webhookSpanId, flags] = traceparent.split("-");
    expect(flags).toBe("01");
    expect(traceId).toBe(callerTrace);

    const requestsTopic = `${prefix}telemetry.requests.v1`;
    const aggregatesTopic = `${prefix}telemetry.aggregates.v1`;
    // Zipkin lowercases span names.
    const stage1Name = `process ${requestsTopic}`;
    const stage2Name = `process ${aggregatesTopic}`;
    const names = [
      "get /v1/me",
      stage1Name,
      stage2Name,
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
    const stage1 = one(stage1Name);
    const stage2 = one(stage2Name);
    const fire = one("gridpulse.alert.fire");
    const outbox = one("gridpulse.alert.outbox");
    const attempt = one("gridpulse.notify.webhook");
    // The chain, parent by parent, from the API's span (a child of the caller's).
    expect(request.parentId).toBe(callerSpan);
    expect(stage1.parentId).toBe(request.id);
    expect(stage2.parentId).toBe(stage1.id);
    expect(fire.parentId).toBe(stage2.id);
    expect(outbox.parentId).toBe(fire.id);
    expect(attempt.parentId).toBe(outbox.id);
    // The receiver saw the attempt's own span.
    expect(attempt.id).toBe(webhookSpanId);

    const apiUrl = new URL(api.url);
    expect(request).toMatchObject({
      kind: "SERVER",
      localEndpoint: { serviceName: "gridpulse-api" },
      tags: {
        "http.request.method": "GET",
        "http.route": "/v1/me",
        "http.response.status_code": "200",
        "url.scheme": "http",
        "url.path": "/v1/me",
        "server.address": apiUrl.hostname,
        "server.port": apiUrl.port,
      },
    });
    for (const [span, topic] of [
      [stage1, requestsTopic],
      [stage2, aggregatesTopic],
    ] as const) {
      expect(span.localEndpoint?.serviceName).toBe("gridpulse-stream");
      expect(span.kind).toBe("CONSUMER");
      expect(span.tags).toMatchObject({
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.destination.name": topic,
      });
      expect(span.tags?.["messaging.destination.partition.id"]).toMatch(/^\d+$/);
      expect(span.tags).not.toHaveProperty("messaging.kafka.partition");
    }
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
        "http.request.method": "POST",
        // The endpoint's path is redacted: webhook URLs often hold a token there.
        "url.full": `http://127.0.0.1:${receiver.port}/REDACTED`,
        "server.address": "127.0.0.1",
        "server.port": String(receiver.port),
        "http.response.status_code": "204",
        "gridpulse.webhook.id": String(delivered.headers["webhook-id"]),
      },
    });

    // The caller's tracestate travels with its trace: beside the RequestEvent's traceparent, then
    // beside stage 1's traceparent on the partial.
    const text = (headers: KafkaMessage["headers"], name: string) =>
      [headers?.[name] ?? []].flat().map(String);
    const traced = (m: KafkaMessage) =>
      text(m.headers, "traceparent").some((tp) => tp.includes(callerTrace));
    const [event] = (
      await readMessagesUntil(testKafka(), requestsTopic, (ms) => ms.some(traced))
    ).filter(traced);
    expect(text(event?.headers, "traceparent")).toEqual([`00-${callerTrace}-${request.id}-01`]);
    expect(text(event?.headers, "tracestate")).toEqual([tracestate]);
    const [partial] = (
      await readMessagesUntil(testKafka(), aggregatesTopic, (ms) => ms.some(traced))
    ).filter(traced);
    const tps = text(partial?.headers, "traceparent");
    const states = text(partial?.headers, "tracestate");
    expect(tps).toContain(`00-${callerTrace}-${stage1.id}-01`);
    expect(states[tps.indexOf(`00-${callerTrace}-${stage1.id}-01`)]).toBe(tracestate);

    // The API's access-log line of the request carries its trace and span.
    const line = api
      .output()
      .split("\n")
      .filter((l) => l.includes('"route":"/v1/me"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)[0];
    expect(line).toMatchObject({ msg: "request", trace_id: traceId, span_id: request.id });
  }, 180_000);
});
