/**
 * Stage 1's transactions against the real broker, per fetch (commit interval 0) and over a commit
 * interval (fetches accumulated per partition, committed in one transaction): a transaction commits
 * while the partition's next batch is fetched. Commits that fail (injected at the producer's `commit`,
 * on the real broker's transactions) send the partition back to its first uncommitted batch; a stage-1
 * process killed (SIGKILL) with accumulated, uncommitted aggregates, and one whose partitions move to
 * a second process while it holds them, lose and double nothing. Each time the committed partials
 * (read_committed) hold every accepted event exactly once, per (service, route, minute): counts and
 * the merged histograms.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kafka, KafkaMessage, Producer, ProducerConfig } from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import type { PartialAggregate } from "../../core/events/aggregate.ts";
import { topicName } from "../../core/events/topics.ts";
import {
  decodeHistogram,
  type LatencyHistogram,
  mergeInto,
  newLatencyHistogram,
} from "../../core/latency/histogram.ts";
import { createLogger } from "../../core/observability/logger.ts";
import { waitFor } from "../../dev/net.ts";
import { createAggregateStage } from "../../stream/aggregate/aggregate.consumer.ts";
import { createStreamMetrics } from "../../stream/metrics/registry.ts";
import {
  brokers,
  committedCount,
  produceEvents,
  readMessagesUntil,
  testKafka,
} from "../support/kafka.ts";
import { sampleValue, scrape } from "../support/metrics.ts";
import { type ServiceProcess, startService } from "../support/processes.ts";
import { fingerprint, syntheticTraffic, type WindowMap } from "../support/windows.ts";

const kafka = testKafka();
const thresholdsMs = [100, 250, 500, 1000];
const allowedLatenessMs = 120_000;
const processes: ServiceProcess[] = [];
afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop("SIGKILL")));
});

/**
 * `kafka` whose producers' transactions fail to commit at the given commit attempts (1-based); with
 * `retriable` false the errors say so, as kafkajs marks a fenced producer's (INVALID_PRODUCER_EPOCH).
 */
function failingCommits(target: Kafka, failAt: ReadonlySet<number>, retriable = true) {
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
          const error = new Error(`injected failure of commit ${attempts}`);
          if (!retriable)
            throw Object.assign(error, {
              name: "KafkaJSProtocolError",
              type: "INVALID_PRODUCER_EPOCH",
              retriable: false,
            });
          throw error;
        }
        return commit();
      };
      return tx;
    };
    return producer;
  };
  return { kafka: wrapped, state };
}

/** The committed partials of `topic` (read_committed), summed per (service, route, minute). */
async function committedWindows(topic: string, accepted: number): Promise<WindowMap> {
  const total = (ms: KafkaMessage[]) =>
    ms.reduce((s, m) => s + (JSON.parse(m.value?.toString() ?? "{}") as PartialAggregate).total, 0);
  const messages = await readMessagesUntil(kafka, topic, (ms) => total(ms) >= accepted, 60_000);
  // Give a duplicate, if any, the chance to show up before comparing.
  const settled = await readMessagesUntil(
    kafka,
    topic,
    (ms) => ms.length >= messages.length,
    30_000,
  ).then(async (ms) => {
    await new Promise((r) => setTimeout(r, 1500));
    return readMessagesUntil(kafka, topic, (all) => all.length >= ms.length, 30_000);
  });
  const sums = new Map<
    string,
    { total: number; good: number; goodWithin: Record<string, number>; h: LatencyHistogram }
  >();
  for (const m of settled) {
    const p = JSON.parse(m.value?.toString() ?? "{}") as PartialAggregate;
    const key = `${p.service}|${p.route}|${p.bucketStartMs}`;
    const w = sums.get(key) ?? { total: 0, good: 0, goodWithin: {}, h: newLatencyHistogram() };
    w.total += p.total;
    w.good += p.good;
    for (const [t, n] of p.goodWithin) w.goodWithin[t] = (w.goodWithin[t] ?? 0) + n;
    mergeInto(w.h, decodeHistogram(p.histogram));
    sums.set(key, w);
  }
  return new Map(
    [...sums]
      .map(
        ([key, w]) =>
          [
            key,
            { total: w.total, good: w.good, goodWithin: w.goodWithin, histogram: fingerprint(w.h) },
          ] as const,
      )
      .sort((a, b) => (a[0] < b[0] ? -1 : 1)),
  );
}

const sorted = (map: WindowMap) => new Map([...map].sort((a, b) => (a[0] < b[0] ? -1 : 1)));

describe("stage 1 transactions", () => {
  // The producer sends 2,000 events a record batch, about 300 KB: with 64 KiB fetches each fetch is
  // one record batch (12 in all).
  const cases = [
    // A transaction per fetched batch, overlapping the next fetch.
    { name: "per fetch", commitIntervalMs: 0, commitMaxBytes: undefined, failAt: [2, 5, 6, 11] },
    // Errors kafkajs holds for not retriable: it would stop the consumer for good if they reached it.
    {
      name: "per fetch, errors not retriable",
      commitIntervalMs: 0,
      commitMaxBytes: undefined,
      failAt: [2, 6],
      retriable: false,
    },
    // Fetches accumulated for 300 ms or 1 MiB of events: a few commits per partition.
    {
      name: "over a commit interval",
      commitIntervalMs: 300,
      commitMaxBytes: 1024 * 1024,
      failAt: [1, 3, 4],
    },
  ];
  for (const c of cases)
    it(`${c.name}: after failed commits, the committed partials hold every accepted event exactly once`, async () => {
      const { prefix, requests, events, expected, produced } = await syntheticTraffic(kafka, {
        count: 24_000,
        startMs: Date.UTC(2026, 10, 22, 10, 58),
        partitions: 3,
        seed: 23,
        allowedLatenessMs,
        thresholdsMs,
      });
      const aggregates = topicName(prefix, "aggregates");
      await produceEvents(kafka, requests, events);

      const injected = failingCommits(kafka, new Set(c.failAt), c.retriable ?? true);
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
        fetchMaxBytesPerPartition: 64 * 1024,
        commitIntervalMs: c.commitIntervalMs,
        ...(c.commitMaxBytes ? { commitMaxBytes: c.commitMaxBytes } : {}),
        now: Date.now,
      });
      const counted = async (m: { get(): Promise<{ values: { value: number }[] }> }) =>
        (await m.get()).values.reduce((s, v) => s + v.value, 0);
      // Messages held uncommitted (gridpulse_stream_events_accumulated), sampled as the stage works:
      // with what has committed they never exceed what was produced (a failed transaction's
      // accumulation is released before its messages are read again), and nothing stays held.
      let mostHeld = 0;
      let mostSeen = 0;
      await stage.start();
      try {
        await waitFor(
          "stage 1 to commit every event",
          async () => {
            const held = await counted(metrics.eventsAccumulated);
            const committed =
              (await counted(metrics.eventsProcessed)) +
              (await counted(metrics.eventsLate)) +
              (await counted(metrics.eventsInvalid));
            mostHeld = Math.max(mostHeld, held);
            mostSeen = Math.max(mostSeen, committed + held);
            return (
              (await counted(metrics.eventsProcessed)) + (await counted(metrics.eventsLate)) ===
              expected.accepted + expected.late
            );
          },
          { timeoutMs: 90_000, intervalMs: 20 },
        );
        expect(await counted(metrics.eventsAccumulated)).toBe(0);
      } finally {
        await stage.stop();
      }
      expect(injected.state.failed).toBe(c.failAt.length);
      expect(mostHeld).toBeGreaterThan(0);
      expect(mostSeen).toBeLessThanOrEqual(produced);
      expect(await counted(metrics.eventsProcessed)).toBe(expected.accepted);
      expect(await counted(metrics.eventsLate)).toBe(expected.late);
      const transactions = (await metrics.transactionDuration.get()).values.find((v) =>
        v.metricName?.endsWith("_count"),
      )?.value;
      // Per fetch: a transaction per record batch; over the interval: fewer.
      if (c.commitIntervalMs === 0) expect(transactions).toBeGreaterThanOrEqual(12);
      else expect(transactions).toBeLessThan(12);
      expect(await committedWindows(aggregates, expected.accepted)).toEqual(
        sorted(expected.minutes),
      );
    });

  /** A stage-1 worker process (stream/main.ts) over `prefix`'s topics. */
  const startStage1 = async (prefix: string, env: Record<string, string>) => {
    const proc = await startService(
      "stream/main.ts",
      {
        KAFKA_BROKERS: brokers().join(","),
        KAFKA_TOPIC_PREFIX: prefix,
        STREAM_CONSUMER_GROUP: `s1-${prefix}`,
        STREAM_STAGES: "aggregate",
        DATABASE_URL: `file:${join(mkdtempSync(join(tmpdir(), "gridpulse-s1-")), "s1.db")}`,
        STREAM_SESSION_TIMEOUT_MS: "3000",
        STREAM_MAX_WAIT_MS: "100",
        STREAM_ALLOWED_LATENESS_MS: String(allowedLatenessMs),
        STREAM_LATENCY_THRESHOLDS_MS: thresholdsMs.join(","),
        STREAM_FETCH_MAX_BYTES_PER_PARTITION: String(128 * 1024),
        LOG_LEVEL: "warn",
        ...env,
      },
      { portVar: "STREAM_PORT", readyPath: "/health/ready" },
    );
    processes.push(proc);
    return proc;
  };
  /** Whether the process has fetched and aggregated every message of its partitions (lag 0). */
  const caughtUp = async (proc: ServiceProcess, partitions: number) => {
    const text = await scrape(proc.url);
    const lags = text.split("\n").filter((l) => l.startsWith("gridpulse_stream_consumer_lag{"));
    return lags.length >= partitions && sampleValue(text, "gridpulse_stream_consumer_lag") === 0;
  };

  it("over a commit interval: a SIGKILL before the commit loses nothing and doubles nothing", async () => {
    const { prefix, requests, events, expected, produced } = await syntheticTraffic(kafka, {
      count: 30_000,
      startMs: Date.now() - 60_000,
      partitions: 3,
      seed: 5,
      allowedLatenessMs,
      thresholdsMs,
    });
    await produceEvents(kafka, requests, events);

    // A long interval: about 1 MiB of each partition commits (the byte bound), the rest waits.
    const first = await startStage1(prefix, {
      STREAM_COMMIT_INTERVAL_MS: "60000",
      STREAM_COMMIT_MAX_BYTES: String(1024 * 1024),
    });
    await waitFor("the first process to aggregate every event", () => caughtUp(first, 3), {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    await waitFor(
      "the byte-bound commits",
      async () => (await committedCount(kafka, `s1-${prefix}-aggregate`, requests)) > 0,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    // What it holds uncommitted is on its metrics: exactly the produced events not committed.
    let heldAtKill = 0;
    await waitFor(
      "the held and the committed events to make up every event",
      async () => {
        heldAtKill = sampleValue(await scrape(first.url), "gridpulse_stream_events_accumulated");
        const committed = await committedCount(kafka, `s1-${prefix}-aggregate`, requests);
        return heldAtKill > 0 && heldAtKill + committed === produced;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    await first.stop("SIGKILL");
    const committedAtKill = await committedCount(kafka, `s1-${prefix}-aggregate`, requests);
    // The kill took accumulated, uncommitted aggregates with it.
    expect(committedAtKill).toBeGreaterThan(0);
    expect(committedAtKill).toBeLessThan(produced);
    expect(heldAtKill).toBe(produced - committedAtKill);

    // Logging at info: a failure below prints how the process joined, read and committed. It has
    // 120 s (60 s ran out once in CI, cause unknown): a transaction that fails at the takeover puts
    // the consumer through kafkajs' retries (0.3 s doubling, then a restart and a rejoin), which is
    // slow on a machine running the whole suite.
    const second = await startStage1(prefix, {
      STREAM_COMMIT_INTERVAL_MS: "200",
      LOG_LEVEL: "info",
    });
    let committed = committedAtKill;
    try {
      await waitFor(
        "the second process to commit every event",
        async () => {
          committed = await committedCount(kafka, `s1-${prefix}-aggregate`, requests);
          return committed === produced;
        },
        { timeoutMs: 120_000, intervalMs: 200 },
      );
    } catch (error) {
      // What the second process was doing: its consumer lag, what it held, its transactions, its log.
      const metrics = (await scrape(second.url).catch((e: Error) => e.message))
        .split("\n")
        .filter((l) =>
          /^gridpulse_stream_(consumer_lag|consumer_joined|events_accumulated|events_processed_total|replays_skipped_total|transaction_duration_seconds_count)/.test(
            l,
          ),
        )
        .join("\n");
      throw new Error(
        `${(error as Error).message}: ${committed} of ${produced} committed (${committedAtKill} at the kill)\n--- second process metrics ---\n${metrics}\n--- its output ---\n${second.output().slice(-6000)}`,
      );
    }
    expect(await committedWindows(topicName(prefix, "aggregates"), expected.accepted)).toEqual(
      sorted(expected.minutes),
    );
    await second.stop("SIGTERM");
  }, 240_000);

  it("over a commit interval: partitions that move to another process are not committed by the old owner", async () => {
    const { prefix, requests, events, expected, produced } = await syntheticTraffic(kafka, {
      count: 30_000,
      startMs: Date.now() - 60_000,
      partitions: 3,
      seed: 9,
      allowedLatenessMs,
      thresholdsMs,
    });
    await produceEvents(kafka, requests, events);

    // The first process accumulates every partition and commits nothing (long interval, no byte bound
    // reached) until it is stopped.
    const env = {
      STREAM_COMMIT_INTERVAL_MS: "60000",
      STREAM_COMMIT_MAX_BYTES: String(64 * 1024 * 1024),
    };
    const first = await startStage1(prefix, env);
    await waitFor("the first process to aggregate every event", () => caughtUp(first, 3), {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    expect(await committedCount(kafka, `s1-${prefix}-aggregate`, requests)).toBe(0);
    // A second member: the group rebalances, some partitions move. Had the first process kept its
    // accumulations, it would commit the moved partitions' events on stop (after the second had read
    // them from offset 0), and those of the partitions it kept twice (kafkajs resumes them from the
    // committed offset after the rejoin).
    const second = await startStage1(prefix, env);
    await waitFor(
      "the group to settle with the partitions split",
      async () => {
        const lags = (p: ServiceProcess) =>
          scrape(p.url).then(
            (t) =>
              t.split("\n").filter((l) => l.startsWith("gridpulse_stream_consumer_lag{")).length,
          );
        return (await lags(second)) > 0 && (await caughtUp(second, 1));
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    // Both stop gracefully: each commits what it accumulated for the partitions it owns now.
    expect(await second.stop("SIGTERM")).toBe(0);
    expect(await first.stop("SIGTERM")).toBe(0);
    const third = await startStage1(prefix, { STREAM_COMMIT_INTERVAL_MS: "200" });
    await waitFor(
      "every event committed",
      async () => (await committedCount(kafka, `s1-${prefix}-aggregate`, requests)) === produced,
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(await committedWindows(topicName(prefix, "aggregates"), expected.accepted)).toEqual(
      sorted(expected.minutes),
    );
    await third.stop("SIGTERM");
  });
});
