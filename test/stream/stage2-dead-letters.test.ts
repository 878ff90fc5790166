/**
 * Stage 2's dead letters against the real broker: messages on `telemetry.aggregates.v1` that are empty,
 * not JSON or not a PartialAggregate go to `telemetry.aggregates.v1.dlq` with their original key, value
 * and headers, and with the same reasons stage 1 gives (empty_value, invalid_json, schema_violation),
 * counted by reason.
 */
import { afterEach, describe, expect, it } from "vitest";
import { deadLetterTopic, topicName } from "../../core/events/topics.ts";
import { waitFor } from "../../dev/net.ts";
import { eventProducer } from "../../platform/kafka.ts";
import { createTopics, readMessages, testKafka, uniquePrefix } from "../support/kafka.ts";
import { sampleValue, scrape } from "../support/metrics.ts";
import type { ServiceProcess } from "../support/processes.ts";
import { startStreamWorker } from "../support/stream.ts";

const kafka = testKafka();
const running: ServiceProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop("SIGKILL")));
});

const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("stream worker: telemetry.aggregates.v1 dead letters", () => {
  it("keep the original key, value and headers, with stage 1's reasons", async () => {
    const prefix = uniquePrefix();
    await createTopics(kafka, prefix, 1);
    const topic = topicName(prefix, "aggregates");
    const started = await startStreamWorker(prefix);
    running.push(started.worker);

    const producer = eventProducer(kafka);
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: "k-empty", value: "", headers: { "x-origin": "empty", traceparent } },
        { key: "k-json", value: "{not json", headers: { "x-origin": "json", traceparent } },
        { key: "k-schema", value: JSON.stringify({ v: 2 }), headers: { "x-origin": "schema" } },
      ],
    });
    await producer.disconnect();

    const letters = (await readMessages(kafka, deadLetterTopic(topic), 3)).sort(
      (a, b) =>
        Number(a.headers?.["gridpulse-dlq-source-offset"]) -
        Number(b.headers?.["gridpulse-dlq-source-offset"]),
    );
    const seen = letters.map((m) => ({
      key: m.key?.toString(),
      value: m.value?.toString() ?? "",
      reason: m.headers?.["gridpulse-dlq-reason"]?.toString(),
      origin: m.headers?.["x-origin"]?.toString(),
      traceparent: m.headers?.traceparent?.toString(),
      sourceTopic: m.headers?.["gridpulse-dlq-source-topic"]?.toString(),
    }));
    expect(seen).toEqual([
      {
        key: "k-empty",
        value: "",
        reason: "empty_value",
        origin: "empty",
        traceparent,
        sourceTopic: topic,
      },
      {
        key: "k-json",
        value: "{not json",
        reason: "invalid_json",
        origin: "json",
        traceparent,
        sourceTopic: topic,
      },
      {
        key: "k-schema",
        value: '{"v":2}',
        reason: "schema_violation",
        origin: "schema",
        traceparent: undefined,
        sourceTopic: topic,
      },
    ]);
    expect(letters[0]?.headers?.["gridpulse-dlq-error"]?.toString()).toBe("message has no value");
    expect(letters[2]?.headers?.["gridpulse-dlq-error"]?.toString()).toContain("v:");

    let text = "";
    await waitFor(
      "the dead letters to be counted",
      async () => {
        text = await scrape(started.worker.url);
        return sampleValue(text, "gridpulse_stream_events_invalid_total", { topic }) === 3;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    for (const reason of ["empty_value", "invalid_json", "schema_violation"])
      expect(
        sampleValue(text, "gridpulse_stream_events_invalid_total", { topic, reason }),
        reason,
      ).toBe(1);
  });
});
