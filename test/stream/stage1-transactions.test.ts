/**
 * Stage 1's pipelined transactions against the real broker: a batch's transaction commits while the
 * partition's next batch is fetched. Commits that fail (injected at the producer's `commit`, on the
 * real broker's transactions) send the partition back to the failed batch: the committed partials
 * (read_committed) still hold every accepted event exactly once, per (service, route, minute), and
 * the processed count equals the accepted events.
 */
import type { Kafka, Producer, ProducerConfig } from "kafkajs";
import { describe, expect, it } from "vitest";
import type { PartialAggregate } from "../../core/events/aggregate.ts";
import type { RequestEventInput } from "../../core/events/request-event.ts";
import { topicName } from "../../core/events/topics.ts";
import { createLogger } from "../../core/observability/logger.ts";
import { waitFor } from "../../dev/net.ts";
import { createAggregateStage } from "../../stream/aggregate/aggregate.consumer.ts";
import { createStreamMetrics } from "../../stream/metrics/registry.ts";
import { createTopics, readMessagesUntil, testKafka, uniquePrefix } from "../support/kafka.ts";
import { expectedWindows, syntheticEvents } from "../support/windows.ts";

const kafka = testKafka();
const thresholdsMs = [100, 250, 500, 1000];
const allowedLatenessMs = 120_000;

/** `kafka` whose producers' transactions fail to commit at the given commit attempts (1-based). */
function failingCommits(target: Kafka, failAt: ReadonlySet<number>) {
  let attempts = 0;
  const state = { failed: 0 };
  const wrapped = Object.create(target) as Kafka;
  wrapped.producer = (config?: ProducerConfig): Producer => {
    const producer = target.producer(config);
    const transaction = producer.transaction.bind(producer);
    producer.transaction = async () => {
      const tx = await transaction();
      const commit = tx.commit.bind(tx);
      tx.commit = async () => {
        attempts += 1;
        if (failAt.has(attempts)) {
          state.failed += 1;
          throw new Error(`injected failure of commit ${attempts}`);
        }
        return commit();
      };
      return tx;
    };
    return producer;
  };
  return { kafka: wrapped, state };
}

async function produce(topic: string, partitions: RequestEventInput[][]) {
  const producer = kafka.producer();
  await producer.connect();
  for (const [partition, events] of partitions.entries()) {
    for (let i = 0; i < events.length; i += 2000) {
      await producer.send({
        topic,
        messages: events
          .slice(i, i + 2000)
          .map((e) => ({ partition, key: e.service, value: JSON.stringify(e) })),
      });
    }
  }
  await producer.disconnect();
}

describe("stage 1 transactions", () => {
  it("after failed commits, the committed partials hold every accepted event exactly once", async () => {
    const prefix = uniquePrefix();
    await createTopics(kafka, prefix, 3);
    const requests = topicName(prefix, "requests");
    const aggregates = topicName(prefix, "aggregates");
    const events = syntheticEvents(24_000, {
      startMs: Date.UTC(2026, 10, 22, 10, 58),
      partitions: 3,
      seed: 23,
    });
    const expected = expectedWindows(events, { allowedLatenessMs, thresholdsMs });
    await produce(requests, events);

    const injected = failingCommits(kafka, new Set([2, 5, 6, 11]));
    const metrics = createStreamMetrics();
    const stage = createAggregateStage({
      kafka: injected.kafka,
      sourceTopic: requests,
      outputTopic: aggregates,
      groupId: `${prefix}aggregate`,
      settings: () => ({ allowedLatenessMs, maxFutureSkewMs: 300_000, thresholdsMs }),
      metrics,
      logger: createLogger({ service: "test", level: "error" }),
      sessionTimeoutMs: 10_000,
      maxWaitMs: 200,
      partitionConcurrency: 3,
      // Small fetches: many batches per partition, so transactions overlap the next fetches.
      fetchMaxBytesPerPartition: 64 * 1024,
      now: Date.now,
    });
    const counted = async (c: { get(): Promise<{ values: { value: number }[] }> }) =>
      (await c.get()).values.reduce((s, v) => s + v.value, 0);
    await stage.start();
    try {
      await waitFor(
        "stage 1 to commit every event",
        async () =>
          (await counted(metrics.eventsProcessed)) + (await counted(metrics.eventsLate)) ===
          expected.accepted + expected.late,
        { timeoutMs: 90_000, intervalMs: 100 },
      );
    } finally {
      await stage.stop();
    }
    expect(injected.state.failed).toBe(4);
    expect(await counted(metrics.eventsProcessed)).toBe(expected.accepted);
    expect(await counted(metrics.eventsLate)).toBe(expected.late);

    // What the committed transactions hold (the reader is read_committed: aborted partials are not seen).
    const messages = await readMessagesUntil(
      kafka,
      aggregates,
      (ms) =>
        ms.reduce(
          (s, m) => s + (JSON.parse(m.value?.toString() ?? "{}") as PartialAggregate).total,
          0,
        ) >= expected.accepted,
      30_000,
    );
    type Counts = { total: number; good: number; goodWithin: Record<string, number> };
    const stored = new Map<string, Counts>();
    for (const m of messages) {
      const p = JSON.parse(m.value?.toString() ?? "{}") as PartialAggregate;
      const key = `${p.service}|${p.route}|${p.bucketStartMs}`;
      const w = stored.get(key) ?? { total: 0, good: 0, goodWithin: {} };
      w.total += p.total;
      w.good += p.good;
      for (const [t, n] of p.goodWithin) w.goodWithin[t] = (w.goodWithin[t] ?? 0) + n;
      stored.set(key, w);
    }
    const want = new Map<string, Counts>(
      [...expected.minutes].map(([key, w]) => [
        key,
        { total: w.total, good: w.good, goodWithin: w.goodWithin },
      ]),
    );
    expect(new Map([...stored].sort())).toEqual(new Map([...want].sort()));
  });
});
