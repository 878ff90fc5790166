/**
 * The Node API with Kafka out of reach. Started while it is unreachable, the API serves requests,
 * buffers their telemetry and delivers all of it once Kafka can be reached. Its shutdown is bounded
 * even then and with clients holding keep-alive connections: SIGTERM stops taking requests, flushes
 * telemetry for at most API_TELEMETRY_FLUSH_TIMEOUT_MS, counts what could not be delivered, and
 * exits 0 within seconds (not after the 30 s grace of the process lifecycle).
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { afterAll, expect, it } from "vitest";
import type { RequestEvent } from "../../core/events/request-event.ts";
import { topicName } from "../../core/events/topics.ts";
import { freePort, waitFor } from "../../dev/net.ts";
import {
  brokers,
  createTopics,
  readMessagesUntil,
  testKafka,
  uniquePrefix,
} from "../support/kafka.ts";
import { sampleValue } from "../support/metrics.ts";
import { type ServiceProcess, startService } from "../support/processes.ts";

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A loopback TCP relay to the test broker that can be opened later (the bootstrap address). */
function relay(port: number, target: string): { open(): Promise<void>; close(): Promise<void> } {
  const [host, targetPort] = target.split(":") as [string, string];
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  return {
    open: () =>
      new Promise((resolve) => {
        server = createServer((client) => {
          const upstream = createConnection({ host, port: Number(targetPort) });
          for (const s of [client, upstream]) {
            sockets.add(s);
            s.on("error", () => {});
            s.on("close", () => sockets.delete(s));
          }
          client.pipe(upstream).pipe(client);
        });
        server.listen(port, "127.0.0.1", () => resolve());
      }),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        if (server) server.close(() => resolve());
        else resolve();
      }),
  };
}

it("started while Kafka is unreachable, delivers the buffered telemetry once it can reach it", async () => {
  const kafka = testKafka();
  const prefix = uniquePrefix();
  await createTopics(kafka, prefix, 1);
  const bootstrapPort = await freePort();
  const bootstrap = relay(bootstrapPort, brokers()[0] as string);
  cleanups.push(() => bootstrap.close());
  const metricsPort = await freePort();
  const api: ServiceProcess = await startService("api/node.ts", {
    KAFKA_BROKERS: `127.0.0.1:${bootstrapPort}`,
    KAFKA_TOPIC_PREFIX: prefix,
    API_METRICS_PORT: String(metricsPort),
    DATABASE_URL: "file::memory:",
  });
  cleanups.push(() => api.stop("SIGTERM"));
  const marker = "00-0a7a9e00000000000000000000000001-00000000000000aa-01";
  for (let i = 0; i < 25; i++)
    await (await fetch(`${api.url}/v1/me`, { headers: { traceparent: marker } })).arrayBuffer();
  const metrics = async () => await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  expect(sampleValue(await metrics(), "gridpulse_api_telemetry_buffered_events")).toBeGreaterThan(
    0,
  );

  // The producer's first connect gives up (its own retries run out) before Kafka becomes reachable.
  await waitFor(
    "the first connect to fail",
    async () => api.output().includes("telemetry producer could not connect yet; retrying"),
    { timeoutMs: 60_000 },
  );
  await bootstrap.open();
  const events = await readMessagesUntil(
    kafka,
    topicName(prefix, "requests"),
    (ms) => ms.filter((m) => String(m.value).includes(marker)).length >= 25,
    60_000,
    "the 25 buffered events",
  );
  const ours = events
    .map((m) => JSON.parse(String(m.value)) as RequestEvent)
    .filter((e) => e.traceparent === marker);
  expect(ours).toHaveLength(25);
  const text = await metrics();
  expect(
    sampleValue(text, "gridpulse_api_telemetry_events_total", { outcome: "dropped_buffer_full" }),
  ).toBe(0);
  expect(api.output()).toContain("telemetry producer connected");
});

it("stops within a few seconds on SIGTERM with Kafka unreachable and keep-alive clients", async () => {
  const deadBroker = `127.0.0.1:${await freePort()}`; // nothing listens there
  const api = await startService("api/node.ts", {
    KAFKA_BROKERS: deadBroker,
    KAFKA_TOPIC_PREFIX: "",
    API_METRICS_PORT: "0",
    DATABASE_URL: "file::memory:",
    API_TELEMETRY_FLUSH_TIMEOUT_MS: "1000",
  });
  // Requests whose telemetry cannot be delivered, on pooled keep-alive connections; one client
  // keeps requesting while the API stops.
  for (let i = 0; i < 20; i++) await (await fetch(`${api.url}/health/live`)).arrayBuffer();
  let running = true;
  const client = (async () => {
    while (running) {
      await fetch(`${api.url}/health/live`)
        .then((res) => res.arrayBuffer())
        .catch(() => {});
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  await new Promise((r) => setTimeout(r, 200));
  const started = performance.now();
  const code = await api.stop("SIGTERM");
  const stopMs = performance.now() - started;
  running = false;
  await client;
  console.log(`API SIGTERM to exit with Kafka unreachable: ${Math.round(stopMs)} ms`);
  expect(code, api.output().slice(-3000)).toBe(0);
  expect(stopMs).toBeLessThan(10_000);
  const line = api
    .output()
    .split("\n")
    .find((l) => l.includes('"msg":"telemetry not delivered before shutdown"'));
  expect(line, api.output().slice(-3000)).toBeDefined();
  const { events, timeoutMs } = JSON.parse(line as string) as { events: number; timeoutMs: number };
  expect(events).toBeGreaterThanOrEqual(20);
  expect(timeoutMs).toBe(1000);
});
