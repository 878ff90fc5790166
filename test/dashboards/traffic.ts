/**
 * The traffic of the dashboard tests: HTTP requests to the Node API (fast and slow routes, 4xx,
 * assessments stored and read back), the load generator's RequestEvents with invalid ones, an ingest
 * request to the stream worker, and events far behind the watermark (dead-lettered as late).
 */
import { spawn } from "node:child_process";
import type { Kafka } from "kafkajs";
import { topicName } from "../../core/events/topics.ts";
import { eventProducer } from "../../platform/kafka.ts";
import { brokers } from "../support/kafka.ts";
import { repoRoot } from "../support/processes.ts";

export const home = {
  location: { prefecture: "Attica" },
  buildingType: "detached_house",
  constructionYear: 1975,
  heatedFloorAreaM2: 120,
  storeys: 2,
  systems: {
    heating: { type: "oil_boiler" },
    cooling: { type: "split_units" },
    hotWater: { type: "electric" },
  },
};

export interface TrafficTargets {
  apiUrl: string;
  apiKey: string;
  workerUrl: string;
  ingestToken: string;
  /** The API's SERVICE_NAME. */
  service: string;
  kafka: Kafka;
  prefix: string;
}

export function trafficFor(t: TrafficTargets) {
  async function call(path: string, init: { method?: string; json?: unknown } = {}) {
    const res = await fetch(`${t.apiUrl}${path}`, {
      method: init.method ?? "GET",
      headers: {
        Authorization: `Bearer ${t.apiKey}`,
        ...(init.json === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: init.json === undefined ? undefined : JSON.stringify(init.json),
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as unknown };
  }

  const health = (path: string) => fetch(`${t.apiUrl}${path}`).then((r) => r.arrayBuffer());

  /** One request of each kind, so each series exists before Prometheus first scrapes. */
  async function warmUp() {
    await health("/health/live");
    await health("/health/ready");
    await call("/v1/slos");
    const created = await call("/v1/assessments", { method: "POST", json: home });
    await call(`/v1/assessments/${(created.body as { id: string }).id}`);
    await call("/v1/no-such-route");
    await call("/v1/assessments", { method: "POST", json: { ...home, storeys: -1 } });
    await call(`/v1/latency?service=${t.service}`);
  }

  /** A mix of fast and slow routes, 4xx answers, and stored assessments read back. */
  async function http(seconds: number, concurrency: number) {
    const endAt = Date.now() + seconds * 1000;
    const assessmentIds: string[] = [];
    let n = 0;
    const one = async () => {
      const pick = n++ % 10;
      if (pick < 2) await health("/health/live");
      else if (pick === 2) await health("/health/ready");
      else if (pick < 5) await call("/v1/slos");
      else if (pick === 5) {
        const res = await call("/v1/assessments", { method: "POST", json: home });
        const id = (res.body as { id?: string } | null)?.id;
        if (id) assessmentIds.push(id);
      } else if (pick === 6 && assessmentIds.length > 0)
        await call(`/v1/assessments/${assessmentIds[n % assessmentIds.length]}`);
      else if (pick === 7) await call("/v1/no-such-route");
      else if (pick === 8)
        await call("/v1/assessments", { method: "POST", json: { ...home, storeys: -1 } });
      else await call(`/v1/latency?service=${t.service}`);
    };
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < endAt) await one();
      }),
    );
  }

  /** `npm run loadgen` with 1% invalid and 1% failing events; resolves with its exit code. */
  function loadgen(seconds: number) {
    const proc = spawn(
      process.execPath,
      [
        "dev/loadgen.ts",
        ...["--rate", "150", "--duration", String(seconds), "--brokers", brokers().join(",")],
        ...["--topic-prefix", t.prefix, "--invalid-rate", "0.01", "--error-rate", "0.01"],
        ...["--seed", "7"],
      ],
      { cwd: repoRoot, stdio: ["ignore", "ignore", "pipe"] },
    );
    const exited = new Promise<number | null>((resolve) => proc.once("exit", resolve));
    return { exited, kill: () => proc.kill("SIGKILL") };
  }

  /** One valid and one invalid event through the stream worker's ingest endpoint. */
  async function ingest() {
    const now = Date.now();
    const event = { ts: now, service: "ingest-svc", route: "/x", method: "GET" };
    const res = await fetch(`${t.workerUrl}/v1/ingest/requests`, {
      method: "POST",
      headers: { Authorization: `Bearer ${t.ingestToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({
        events: [
          { id: "ing-1", ...event, status: 200, durationMs: 3 },
          { id: "ing-2", ...event, status: "bad" },
        ],
      }),
    });
    if (res.status >= 300) throw new Error(`ingest answered ${res.status}`);
  }

  /** Events half an hour behind the watermark: dead-lettered as late. */
  async function lateEvents() {
    const producer = eventProducer(t.kafka);
    await producer.connect();
    const old = Date.now() - 30 * 60_000;
    await producer.send({
      topic: topicName(t.prefix, "requests"),
      messages: [0, 1, 2, 3, 4, 5].map((i) => ({
        key: "late-svc",
        value: JSON.stringify({
          id: `late-${i}`,
          ts: old,
          service: "late-svc",
          route: "/late",
          method: "GET",
          status: 200,
          durationMs: 5,
        }),
      })),
    });
    await producer.disconnect();
  }

  return { call, warmUp, http, loadgen, ingest, lateEvents };
}
