/**
 * The stream worker against a real broker: events from kafkajs and from kcat (an external client) are
 * counted on /metrics; malformed messages go to the DLQ with their reason while later valid messages of
 * the same partition still flow; SIGTERM commits the batch in hand, leaves the group and exits 0.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { RequestEventInput } from "../../core/events/request-event.ts";
import { deadLetterTopic, topicName } from "../../core/events/topics.ts";
import { waitFor } from "../../dev/net.ts";
import { eventProducer } from "../../platform/kafka.ts";
import {
  brokers,
  committedCount,
  createTopics,
  readMessages,
  testKafka,
  topicRecords,
  uniquePrefix,
} from "../support/kafka.ts";
import { sampleValue, scrape } from "../support/metrics.ts";
import type { ServiceProcess } from "../support/processes.ts";
import { startStreamWorker } from "../support/stream.ts";

const kafka = testKafka();
const running: ServiceProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop("SIGKILL")));
});

function requestEvent(overrides: Partial<RequestEventInput> = {}): RequestEventInput {
  return {
    id: randomUUID(),
    ts: Date.now(),
    service: "edge-api",
    route: "/v1/benchmarks",
    method: "GET",
    status: 200,
    durationMs: 4.2,
    ...overrides,
  };
}

async function startWorker(prefix: string, group?: string) {
  const started = await startStreamWorker(prefix, group ? { group } : {});
  running.push(started.worker);
  return started;
}

async function waitForMetric(
  url: string,
  name: string,
  labels: Record<string, string>,
  expected: number,
) {
  let last = -1;
  await waitFor(
    `${name}${JSON.stringify(labels)} to reach ${expected}`,
    async () => {
      last = sampleValue(await scrape(url), name, labels);
      return last >= expected;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  ).catch((error: Error) => {
    throw new Error(`${error.message} (last value ${last})`);
  });
  return last;
}

describe("stream worker: telemetry.requests.v1", () => {
  it("counts events produced with kafkajs and with kcat", async () => {
    const prefix = uniquePrefix();
    await createTopics(kafka, prefix);
    const topic = topicName(prefix, "requests");
    const { worker } = await startWorker(prefix);

    const producer = eventProducer(kafka);
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: 50 }, (_, i) => ({
        key: `svc-${i % 5}`,
        value: JSON.stringify(requestEvent({ service: `svc-${i % 5}` })),
      })),
    });
    await producer.disconnect();

    // kcat: one message per line, "key:value".
    const lines = Array.from({ length: 20 }, (_, i) => {
      const event = requestEvent({
        service: "kcat-svc",
        ts: new Date().toISOString(),
        status: i % 2 ? 503 : 200,
      });
      return `kcat-svc:${JSON.stringify(event)}`;
    });
    execFileSync("kcat", ["-P", "-b", brokers().join(","), "-t", topic, "-K:"], {
      input: `${lines.join("\n")}\n`,
      timeout: 30_000,
    });

    const processed = await waitForMetric(
      worker.url,
      "gridpulse_stream_events_processed_total",
      { topic },
      70,
    );
    expect(processed).toBe(70);
    const text = await scrape(worker.url);
    expect(sampleValue(text, "gridpulse_stream_events_invalid_total", { topic })).toBe(0);
    expect(sampleValue(text, "gridpulse_stream_consumer_joined")).toBe(3);
    expect(
      sampleValue(text, "gridpulse_stream_batch_duration_seconds_count", { stage: "aggregate" }),
    ).toBeGreaterThan(0);
  });

  it("dead-letters malformed messages with the reason and keeps the partition flowing", async () => {
    const prefix = uniquePrefix();
    await createTopics(kafka, prefix, 1);
    const topic = topicName(prefix, "requests");
    const { worker, group } = await startWorker(prefix);

    const producer = eventProducer(kafka);
    await producer.connect();
    const first = requestEvent();
    const last = requestEvent();
    await producer.send({
      topic,
      messages: [
        { key: "edge-api", value: JSON.stringify(first) },
        { key: "edge-api", value: "{not json", headers: { "x-origin": "test" } },
        { key: "edge-api", value: JSON.stringify({ ...requestEvent(), status: "200" }) },
        { key: "edge-api", value: JSON.stringify(last) },
      ],
    });
    await producer.disconnect();

    await waitForMetric(worker.url, "gridpulse_stream_events_processed_total", { topic }, 2);
    const text = await scrape(worker.url);
    expect(sampleValue(text, "gridpulse_stream_events_processed_total", { topic })).toBe(2);
    expect(
      sampleValue(text, "gridpulse_stream_events_invalid_total", { topic, reason: "invalid_json" }),
    ).toBe(1);
    expect(
      sampleValue(text, "gridpulse_stream_events_invalid_total", {
        topic,
        reason: "schema_violation",
      }),
    ).toBe(1);

    const letters = await readMessages(kafka, deadLetterTopic(topic), 2);
    const byOffset = letters.sort(
      (a, b) =>
        Number(a.headers?.["gridpulse-dlq-source-offset"]) -
        Number(b.headers?.["gridpulse-dlq-source-offset"]),
    );
    expect(byOffset.map((m) => m.value?.toString())).toEqual([
      "{not json",
      expect.stringContaining('"status":"200"'),
    ]);
    expect(byOffset.map((m) => m.key?.toString())).toEqual(["edge-api", "edge-api"]);
    const headers = byOffset[0]?.headers ?? {};
    expect(headers["gridpulse-dlq-source-topic"]?.toString()).toBe(topic);
    expect(headers["gridpulse-dlq-source-partition"]?.toString()).toBe("0");
    expect(headers["gridpulse-dlq-source-offset"]?.toString()).toBe("1");
    expect(headers["gridpulse-dlq-reason"]?.toString()).toBe("invalid_json");
    expect(headers["x-origin"]?.toString()).toBe("test");
    expect(byOffset[1]?.headers?.["gridpulse-dlq-error"]?.toString()).toContain("status:");

    // Offsets of all four messages are committed: the dead letters did not stall the partition.
    await waitFor(
      "all four offsets to be committed",
      async () => (await committedCount(kafka, `${group}-aggregate`, topic)) === 4,
      {
        timeoutMs: 10_000,
      },
    );
  });

  it("dead-letters a message at the broker's size limit and a burst of bad market events, and keeps flowing", async () => {
    const prefix = uniquePrefix();
    await createTopics(kafka, prefix, 1);
    const topic = topicName(prefix, "requests");
    const market = topicName(prefix, "market");
    const { worker, group } = await startWorker(prefix);

    const producer = eventProducer(kafka);
    await producer.connect();
    // A value the source topic takes (under its 1 MiB limit), whose dead letter, with the reason and
    // error added, would not fit: stage 1 retried its transaction for ever, the partition stalled.
    const huge = Buffer.alloc(1_048_400, 0x61);
    await producer.send({ topic, messages: [{ key: "edge-api", value: huge }] });
    await producer.send({
      topic,
      messages: [
        { key: "edge-api", value: "{not json" },
        { key: "edge-api", value: JSON.stringify(requestEvent()) },
      ],
    });
    // 3,000 small invalid market events: their dead letters went out in one send, which the broker
    // refused as one batch over its size limit, and the worker stopped (again at every restart).
    const bad = Array.from({ length: 3000 }, (_, i) => ({
      key: "market:electricity",
      value: JSON.stringify({ id: `bad-${i}`, ts: Date.now(), kind: "price" }),
    }));
    for (let i = 0; i < bad.length; i += 1000)
      await producer.send({ topic: market, messages: bad.slice(i, i + 1000) });
    await producer.disconnect();

    await waitForMetric(worker.url, "gridpulse_stream_events_processed_total", { topic }, 1);
    await waitForMetric(
      worker.url,
      "gridpulse_stream_events_invalid_total",
      { topic: market, reason: "schema_violation" },
      3000,
    );
    const text = await scrape(worker.url);
    expect(
      sampleValue(text, "gridpulse_stream_events_invalid_total", { topic, reason: "too_large" }),
    ).toBe(1);
    expect(
      sampleValue(text, "gridpulse_stream_events_invalid_total", { topic, reason: "invalid_json" }),
    ).toBe(1);
    const letters = await readMessages(kafka, deadLetterTopic(topic), 2);
    const cut = letters.find((m) => m.headers?.["gridpulse-dlq-source-offset"]?.toString() === "0");
    expect(cut?.headers?.["gridpulse-dlq-original-value-bytes"]?.toString()).toBe("1048400");
    expect(cut?.value?.length).toBeGreaterThan(990_000);
    expect(cut?.value?.equals(huge.subarray(0, cut.value.length))).toBe(true);
    expect(await topicRecords(kafka, deadLetterTopic(market))).toBe(3000);
    await waitFor(
      "all three offsets to be committed",
      async () => (await committedCount(kafka, `${group}-aggregate`, topic)) === 3,
      { timeoutMs: 10_000 },
    );
    expect((await fetch(`${worker.url}/health/live`)).status).toBe(200);
    expect(worker.output()).not.toMatch(/"level":"fatal"/);
  });

  it("on SIGTERM finishes and commits the batch in hand, leaves the group and exits 0", async () => {
    const prefix = uniquePrefix();
    await createTopics(kafka, prefix, 3);
    const topic = topicName(prefix, "requests");
    const total = 30_000;
    const producer = eventProducer(kafka);
    await producer.connect();
    for (let sent = 0; sent < total; sent += 5000) {
      await producer.send({
        topic,
        messages: Array.from({ length: 5000 }, (_, i) => ({
          key: `svc-${i % 7}`,
          value: JSON.stringify(requestEvent({ service: `svc-${i % 7}` })),
        })),
      });
    }
    await producer.disconnect();
    // Exactly `total` records (an idempotent producer never writes a retried send twice).
    expect(await topicRecords(kafka, topic)).toBe(total);

    const { worker, group } = await startWorker(prefix);
    await waitForMetric(worker.url, "gridpulse_stream_events_processed_total", { topic }, 1);
    const code = await worker.stop("SIGTERM");
    expect(code, worker.output().slice(-3000)).toBe(0);
    expect(worker.output()).toContain('"msg":"stopped"');

    const admin = kafka.admin();
    await admin.connect();
    const { groups } = await admin.describeGroups([`${group}-aggregate`, `${group}-evaluate`]);
    await admin.disconnect();
    // Left both groups (no member waits for a session timeout).
    expect(groups.map((g) => g.members)).toEqual([[], []]);

    // What was committed at exit is exactly what the next instance does not read again.
    // A transaction's offsets become visible to a plain offset fetch once the coordinator has written
    // its markers, a moment after the commit returned (kafkajs cannot ask for stable offsets): read
    // until two reads half a second apart agree.
    let committed = await committedCount(kafka, `${group}-aggregate`, topic);
    await waitFor(
      "the committed offsets to settle",
      async () => {
        const again = await committedCount(kafka, `${group}-aggregate`, topic);
        const settled = again === committed;
        committed = again;
        return settled;
      },
      { timeoutMs: 15_000, intervalMs: 500 },
    );
    expect(committed).toBeGreaterThan(0);
    const { worker: next } = await startWorker(prefix, group);
    const rest = await waitForMetric(
      next.url,
      "gridpulse_stream_events_processed_total",
      { topic },
      total - committed,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(
      sampleValue(await scrape(next.url), "gridpulse_stream_events_processed_total", { topic }),
    ).toBe(rest);
    const log = (w: ServiceProcess) =>
      w
        .output()
        .split("\n")
        .filter((l) => /joined|skipped|transaction|rebalanc|stopped|warn|error/.test(l))
        .slice(-20)
        .join("\n");
    expect(
      committed + rest,
      `committed ${committed}, then processed ${rest}\nfirst:\n${log(worker)}\nnext:\n${log(next)}`,
    ).toBe(total);
  });
});
