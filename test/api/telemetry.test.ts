/**
 * Edge telemetry end to end through the real broker: the API on Node produces its RequestEvents to
 * Kafka in the background; the API on workerd posts them with waitUntil to the stream worker's
 * authenticated ingest endpoint, which validates and produces them. Both arrive in
 * `telemetry.requests.v1` with route patterns, and the Node API exports request metrics.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { RequestEvent } from "../../core/events/request-event.ts";
import { topicName } from "../../core/events/topics.ts";
import { freePort } from "../../dev/net.ts";
import { type ApiRuntime, startApiRuntime } from "../support/api-runtimes.ts";
import {
  brokers,
  createTopics,
  readMessagesUntil,
  testKafka,
  uniquePrefix,
} from "../support/kafka.ts";
import { sampleValue } from "../support/metrics.ts";
import { type ServiceProcess, startService } from "../support/processes.ts";

const kafka = testKafka();
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const parse = (value: Buffer | null) => JSON.parse(value?.toString() ?? "null") as RequestEvent;

/** Reads events (health probes included) until those outside /health number `count`. */
async function readApiEvents(topic: string, count: number): Promise<RequestEvent[]> {
  const isApi = (e: RequestEvent) => !e.route.startsWith("/health");
  const messages = await readMessagesUntil(
    kafka,
    topic,
    (ms) => ms.map((m) => parse(m.value)).filter(isApi).length >= count,
    30_000,
    `${count} non-health events`,
  );
  return messages.map((m) => parse(m.value)).filter(isApi);
}

describe("edge telemetry", () => {
  it("Node: produces one RequestEvent per request to Kafka and exports request metrics", async () => {
    const prefix = uniquePrefix();
    await createTopics(kafka, prefix, 1);
    const metricsPort = await freePort();
    const api: ApiRuntime = await startApiRuntime("node", {
      KAFKA_BROKERS: brokers().join(","),
      KAFKA_TOPIC_PREFIX: prefix,
      REGION: "ATH",
      API_METRICS_PORT: String(metricsPort),
    });
    cleanups.push(() => api.stop());
    const { key } = await api.tenant();
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    await fetch(`${api.url}/v1/api-keys/key_0000000000000000`, {
      headers: { Authorization: `Bearer ${key}`, traceparent },
    });
    await fetch(`${api.url}/v1/me`, { headers: { Authorization: `Bearer ${key}` } });
    await fetch(`${api.url}/v1/me`);

    const events = await readApiEvents(topicName(prefix, "requests"), 3);
    const byRoute = events.map((e) => [e.route, e.status]);
    expect(byRoute).toEqual(
      expect.arrayContaining([
        ["/v1/api-keys/:id", 404],
        ["/v1/me", 200],
        ["/v1/me", 401],
      ]),
    );
    const first = events.find((e) => e.route === "/v1/api-keys/:id");
    expect(first).toMatchObject({ service: "edge-api", method: "GET", region: "ATH", traceparent });

    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(
      sampleValue(metrics, "gridpulse_api_request_duration_seconds_count", {
        route: "/v1/me",
        status: "200",
      }),
    ).toBe(1);
    expect(sampleValue(metrics, "gridpulse_api_requests_in_flight")).toBe(0);
    expect(metrics).toContain("nodejs_eventloop_lag_seconds");
    expect(
      sampleValue(metrics, "gridpulse_api_telemetry_events_total", { outcome: "delivered" }),
    ).toBeGreaterThanOrEqual(3);
  });

  it("workerd: posts batches to the stream worker's ingest endpoint, which produces them to Kafka", async () => {
    const prefix = uniquePrefix();
    await createTopics(kafka, prefix, 1);
    const token = "test-ingest-token-0123456789";
    const stream: ServiceProcess = await startService("stream/main.ts", {
      KAFKA_BROKERS: brokers().join(","),
      KAFKA_TOPIC_PREFIX: prefix,
      STREAM_CONSUMER_GROUP: `g-${prefix}`,
      STREAM_INGEST_TOKEN: token,
    });
    cleanups.push(() => stream.stop("SIGTERM"));

    // The ingest endpoint refuses wrong tokens and reports invalid events by index.
    const wrong = await fetch(`${stream.url}/v1/ingest/requests`, {
      method: "POST",
      headers: { Authorization: "Bearer nope", "Content-Type": "application/json" },
      body: JSON.stringify({ events: [] }),
    });
    expect(wrong.status).toBe(401);
    const mixed = await fetch(`${stream.url}/v1/ingest/requests`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({
        events: [
          {
            id: "x1",
            ts: Date.now(),
            service: "probe",
            route: "/probe",
            method: "GET",
            status: 200,
            durationMs: 1,
          },
          {
            id: "x2",
            ts: "yesterday",
            service: "probe",
            route: "/probe",
            method: "GET",
            status: 200,
            durationMs: 1,
          },
        ],
      }),
    });
    expect(mixed.status).toBe(202);
    const report = (await mixed.json()) as {
      accepted: number;
      rejected: { index: number; error: string }[];
    };
    expect(report.accepted).toBe(1);
    expect(report.rejected).toHaveLength(1);
    expect(report.rejected[0]?.index).toBe(1);
    expect(report.rejected[0]?.error).toContain("ts");

    const api = await startApiRuntime("workerd", {
      TELEMETRY_INGEST_URL: `${stream.url}/v1/ingest/requests`,
      TELEMETRY_INGEST_TOKEN: token,
    });
    cleanups.push(() => api.stop());
    const { key } = await api.tenant();
    for (let i = 0; i < 3; i++)
      await fetch(`${api.url}/v1/me`, { headers: { Authorization: `Bearer ${key}` } });
    await fetch(`${api.url}/v1/api-keys/key_0000000000000000`, {
      headers: { Authorization: `Bearer ${key}` },
    });

    const events = await readApiEvents(topicName(prefix, "requests"), 5);
    const fromWorker = events.filter((e) => e.service === "edge-api");
    expect(fromWorker.filter((e) => e.route === "/v1/me" && e.status === 200)).toHaveLength(3);
    expect(fromWorker.find((e) => e.route === "/v1/api-keys/:id")?.status).toBe(404);
    expect(fromWorker.every((e) => e.durationMs >= 0 && typeof e.region === "string")).toBe(true);
    const metrics = await (await fetch(`${stream.url}/metrics`)).text();
    expect(
      sampleValue(metrics, "gridpulse_stream_ingest_events_total", { outcome: "accepted" }),
    ).toBeGreaterThanOrEqual(5);
    expect(
      sampleValue(metrics, "gridpulse_stream_ingest_events_total", { outcome: "rejected" }),
    ).toBe(1);
    expect(
      sampleValue(metrics, "gridpulse_stream_ingest_requests_total", { outcome: "unauthorized" }),
    ).toBe(1);
  });
});
