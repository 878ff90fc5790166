/**
 * Stage 1 (aggregate): a consumer group over `telemetry.requests.v1`. Each fetched batch of a partition
 * becomes one Kafka transaction holding its partial aggregates (to `telemetry.aggregates.v1`), its
 * dead letters (invalid and late events, to the `.dlq` topic) and the consumed offset — exactly-once
 * consume-transform-produce. The partition's watermark maximum rides along as the offset's commit
 * metadata, so a restarted or new owner resumes with the same lateness decisions; a stored watermark
 * ahead of the clock (left by a version that let future-dated events move it) is brought back to the
 * clock on restore. Each partition has its
 * own transactional producer (`<group>.<topic>.<partition>`): whoever takes over a partition fences
 * the previous owner's producer, so a paused zombie can never commit for it again.
 *
 * A batch's transaction commits while kafkajs fetches and decodes the partition's next batch: the
 * batch's offset is resolved (kafkajs' in-memory fetch position only; autoCommit is off) as soon as its
 * transaction is under way, and the next batch of that partition waits for it to settle before it is
 * aggregated (a batch of more than `maxPartialsPerStep` partials commits in line: overlapping it would
 * hold two batches' worth of memory). A transaction that fails seeks the partition back to the failed
 * batch's first offset and the next batch rethrows its error (kafkajs retries from there, as when a
 * batch failed in line); stop() lets the transactions in flight finish before leaving the group.
 */
import type {
  Admin,
  Consumer,
  EachBatchPayload,
  Kafka,
  KafkaMessage,
  Message,
  Producer,
} from "kafkajs";
import { deadLetterTopic } from "../../core/events/topics.ts";
import type { Logger } from "../../core/observability/logger.ts";
import { yieldToEventLoop } from "../../core/runtime/yield.ts";
import { deadLetterMessages } from "../dlq/dead-letter.sink.ts";
import { chunkMessages } from "../kafka/chunks.ts";
import { trackMembership } from "../kafka/membership.ts";
import type { StreamMetrics } from "../metrics/registry.ts";
import { withBatchSpan } from "../tracing/tracing.ts";
import {
  type AggregateResult,
  type AggregateSettings,
  aggregateBatch,
  boundedMaxTs,
} from "./aggregate.process.ts";

/**
 * Partials computed in one step of a batch: a fetch touching more series is aggregated in steps of this
 * many, heartbeating and yielding to the event loop between them, then committed in one transaction.
 */
export const maxPartialsPerStep = 500;

export interface AggregateStageOptions {
  kafka: Kafka;
  sourceTopic: string;
  outputTopic: string;
  groupId: string;
  settings: () => AggregateSettings;
  metrics: StreamMetrics;
  logger: Logger;
  sessionTimeoutMs: number;
  maxWaitMs: number;
  /** Partitions processed at once: each has its own transactional producer, so they overlap safely. */
  partitionConcurrency: number;
  /** Most bytes fetched per partition at once (default 2 MiB): one fetch is one transaction. */
  fetchMaxBytesPerPartition?: number;
  now: () => number;
}

export interface Stage {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  isJoined(): boolean;
}

interface WatermarkMetadata {
  maxTsMs: number | null;
}

/**
 * A batch's result as it waits for its transaction: its partials already as messages (JSON), so the
 * partial objects of each step are garbage as soon as the step is done.
 */
type BatchResult = Omit<AggregateResult, "partials" | "consumed"> & { partials: Message[] };

export function createAggregateStage(options: AggregateStageOptions): Stage {
  const { kafka, sourceTopic, outputTopic, groupId, metrics, logger } = options;
  const fetchBytes = options.fetchMaxBytesPerPartition ?? 2 * 1024 * 1024;
  const consumer: Consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: Math.max(300, Math.floor(options.sessionTimeoutMs / 5)),
    minBytes: 256 * 1024,
    maxWaitTimeInMs: options.maxWaitMs,
    maxBytesPerPartition: fetchBytes,
    maxBytes: 4 * fetchBytes,
  });
  const admin: Admin = kafka.admin();
  let producers = new Map<number, Promise<Producer>>();
  let watermarks = new Map<number, Promise<number | null>>();
  /**
   * Per partition, the offset after the last batch this process committed. Right after a rejoin the
   * group coordinator may still answer a committed offset from before the last transaction's marker
   * (kafkajs cannot ask for stable offsets), so a batch may be handed in again: messages below this
   * mark were committed with their output and are skipped, never counted twice. Kept across rebalances: it only ever names offsets whose
   * transaction committed, so skipping below it is right whoever owned the partition in between.
   */
  const committedNext = new Map<number, bigint>();
  /**
   * Per partition, the transaction of its last batch while it commits: settles to undefined when it
   * committed, or to its error (never rejects).
   */
  const inFlight = new Map<number, Promise<unknown>>();
  /** Set by stop(): batches commit in line, so none is left in flight when the group is left. */
  let stopping = false;
  const closeProducers = (old: Map<number, Promise<Producer>>) => {
    for (const producer of old.values()) void producer.then((p) => p.disconnect()).catch(() => {});
  };

  const membership = trackMembership(consumer, {
    stage: "aggregate",
    groupId,
    metrics,
    logger,
    onJoin: (payload) => {
      // A new generation: partitions may have moved. Drop cached watermarks and producers
      // (synchronously, before the next batch) so both are re-initialised from the committed state
      // and fence old owners.
      const old = producers;
      producers = new Map();
      watermarks = new Map();
      closeProducers(old);
      // Connect the assigned partitions' producers and read their watermarks now, while the first
      // fetch is under way, instead of at their first batch.
      for (const partition of payload.memberAssignment[sourceTopic] ?? []) {
        void producerFor(partition).catch(() => {});
        void watermarkFor(partition).catch(() => {});
      }
      return { assignment: payload.memberAssignment };
    },
  });

  const producerFor = (partition: number) => {
    let producer = producers.get(partition);
    if (!producer) {
      const p = kafka.producer({
        transactionalId: `${groupId}.${sourceTopic}.${partition}`,
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        transactionTimeout: 60_000,
        // A transaction begun right after the previous one committed meets CONCURRENT_TRANSACTIONS
        // until the broker has written the markers (a few ms, more on a busy broker); kafkajs'
        // default backoff (300 ms, doubling) made that wait most of a batch's time. Poll every
        // ~10 ms, backing off slowly (20 retries: about 6 s in all).
        retry: { initialRetryTime: 10, multiplier: 1.3, retries: 20 },
      });
      producer = p.connect().then(() => p);
      producers.set(partition, producer);
      producer.catch(() => producers.delete(partition));
    }
    return producer;
  };

  const watermarkFor = (partition: number) => {
    let watermark = watermarks.get(partition);
    if (!watermark) {
      watermark = admin.fetchOffsets({ groupId, topics: [sourceTopic] }).then((topics) => {
        const committed = topics[0]?.partitions.find((p) => p.partition === partition);
        if (!committed?.metadata) return null;
        try {
          const stored = (JSON.parse(committed.metadata) as WatermarkMetadata).maxTsMs ?? null;
          const bounded = boundedMaxTs(stored, options.now());
          if (bounded !== stored)
            logger.warn("stored watermark is ahead of the clock; bounded", {
              partition,
              storedMaxTs: new Date(stored as number).toISOString(),
              boundedMaxTs: new Date(bounded as number).toISOString(),
            });
          return bounded;
        } catch {
          logger.warn("unreadable watermark metadata; starting without one", { partition });
          return null;
        }
      });
      watermarks.set(partition, watermark);
      watermark.catch(() => watermarks.delete(partition));
    }
    return watermark;
  };

  /** A batch's partials, dead letters and offset (with the watermark) in one transaction. */
  const commitBatch = async (
    topic: string,
    partition: number,
    messages: readonly KafkaMessage[],
    result: BatchResult,
  ) => {
    const lastOffset = (messages.at(-1) as KafkaMessage).offset;
    const nextOffset = (BigInt(lastOffset) + 1n).toString();
    let used: Promise<Producer> | undefined;
    await withBatchSpan(
      "gridpulse.aggregate.batch",
      {
        "messaging.destination.name": topic,
        "messaging.kafka.partition": partition,
        "messaging.batch.message_count": messages.length,
      },
      result.traceparents,
      async (_span, continued) => {
        used = producerFor(partition);
        const producer = await used;
        const tx = await producer.transaction();
        try {
          // Each partial carries, as `traceparent` headers, the stage-1 spans of its sampled events:
          // stage 2 continues those traces.
          const partials = result.partials;
          for (const [i, sampled] of result.partialTraceparents.entries()) {
            const traces = sampled.map(continued);
            if (traces.length > 0)
              partials[i] = { ...(partials[i] as Message), headers: { traceparent: traces } };
          }
          for (const chunk of chunkMessages(partials))
            await tx.send({ topic: outputTopic, messages: chunk });
          const letters = deadLetterMessages(topic, result.deadLetters, options.now());
          for (const chunk of chunkMessages(letters))
            await tx.send({ topic: deadLetterTopic(topic), messages: chunk });
          await tx.sendOffsets({
            consumerGroupId: groupId,
            topics: [
              {
                topic,
                partitions: [
                  {
                    partition,
                    offset: nextOffset,
                    metadata: JSON.stringify({
                      maxTsMs: result.maxTsMs,
                    } satisfies WatermarkMetadata),
                  },
                ],
              },
            ],
          } as unknown as Parameters<typeof tx.sendOffsets>[0]);
          const endTx = metrics.transactionDuration.startTimer({ stage: "aggregate" });
          await tx.commit();
          endTx();
        } catch (error) {
          await tx.abort().catch(() => {});
          // The producer may have been fenced by a new owner of the partition: start over with a new
          // one (unless a new generation has already replaced it).
          if (used !== undefined && producers.get(partition) === used) producers.delete(partition);
          if (used !== undefined) closeProducers(new Map([[partition, used]]));
          throw error;
        }
      },
    );
    watermarks.set(partition, Promise.resolve(result.maxTsMs));
    committedNext.set(partition, BigInt(nextOffset));
    metrics.eventsProcessed.inc({ topic: sourceTopic }, result.processed);
    metrics.eventsLate.inc({ topic: sourceTopic }, result.late);
    metrics.partials.inc({ direction: "produced" }, result.partials.length);
    for (const letter of result.deadLetters) {
      if (letter.reason !== "late_event")
        metrics.eventsInvalid.inc({ topic: sourceTopic, reason: letter.reason });
    }
    if (result.deadLetters.length > 0) {
      logger.warn("dead-lettered messages", {
        topic,
        partition,
        count: result.deadLetters.length,
        first: {
          offset: result.deadLetters[0]?.offset,
          reason: result.deadLetters[0]?.reason,
          error: result.deadLetters[0]?.error,
        },
      });
    }
    return lastOffset;
  };

  const eachBatch = async ({ batch, resolveOffset, heartbeat, isStale }: EachBatchPayload) => {
    const partition = batch.partition;
    // The partition's previous transaction settles first: the skip mark and the watermark below
    // depend on it. If it failed, the partition has been sought back to that batch: fail this one so
    // kafkajs retries from there.
    const previous = inFlight.get(partition);
    if (previous !== undefined) {
      const failed = await previous;
      if (inFlight.get(partition) === previous) inFlight.delete(partition);
      if (failed !== undefined) throw failed;
    }
    if (batch.messages.length === 0 || isStale()) return;
    const endBatch = metrics.batchDuration.startTimer({ stage: "aggregate" });
    let maxTs = await watermarkFor(partition);
    let remaining: readonly KafkaMessage[] = batch.messages;
    const done = committedNext.get(partition);
    if (done !== undefined && BigInt(batch.firstOffset() ?? done) < done) {
      remaining = remaining.filter((m) => BigInt(m.offset) >= done);
      const skipped = batch.messages.length - remaining.length;
      metrics.replaysSkipped.inc({ stage: "aggregate" }, skipped);
      logger.info("skipped messages already committed by this process", {
        partition,
        skipped,
        from: batch.firstOffset(),
        resumeAt: done.toString(),
      });
      if (remaining.length === 0) {
        resolveOffset(batch.lastOffset());
        return;
      }
    }
    const messages = remaining;
    // A fetch touching many series (each partial holds an encoded histogram) is aggregated in steps of
    // at most maxPartialsPerStep partials, heartbeating and letting the event loop run in between, so
    // no step holds the loop for long; the batch is still committed in one transaction (one commit
    // per fetch keeps the hand-over between owners exact).
    const merged: BatchResult = {
      partials: [],
      deadLetters: [],
      maxTsMs: maxTs,
      processed: 0,
      late: 0,
      traceparents: [],
      partialTraceparents: [],
    };
    while (remaining.length > 0) {
      const step = aggregateBatch(
        partition,
        remaining,
        maxTs,
        { ...options.settings(), maxPartials: maxPartialsPerStep },
        options.now(),
      );
      for (const p of step.partials)
        merged.partials.push({ key: p.service, value: JSON.stringify(p) });
      for (const l of step.deadLetters) merged.deadLetters.push(l);
      for (const t of step.partialTraceparents) merged.partialTraceparents.push(t);
      for (const t of step.traceparents)
        if (merged.traceparents.length < 64) merged.traceparents.push(t);
      merged.processed += step.processed;
      merged.late += step.late;
      merged.maxTsMs = step.maxTsMs;
      maxTs = step.maxTsMs;
      remaining = remaining.slice(step.consumed);
      if (remaining.length > 0) {
        await heartbeat();
        await yieldToEventLoop();
        if (isStale()) return;
      }
    }
    const firstOffset = (messages[0] as KafkaMessage).offset;
    const committed = commitBatch(batch.topic, partition, messages, merged).then(
      () => {
        endBatch();
        return undefined;
      },
      (error: unknown) => {
        // Back to the failed batch (its watermark too: read again from the committed metadata).
        watermarks.delete(partition);
        try {
          consumer.seek({ topic: batch.topic, partition, offset: firstOffset });
        } catch {
          // Not running any more: the next owner resumes at the committed offset anyway.
        }
        logger.warn("stage-1 transaction failed; the partition resumes at the failed batch", {
          partition,
          offset: firstOffset,
          error: error instanceof Error ? error.message : String(error),
        });
        return error ?? new Error("transaction failed");
      },
    );
    // In line when stopping, and for a batch of many partials (many series): its transaction holds
    // them all, and overlapping it with the next fetch would hold that batch's messages too.
    if (stopping || merged.partials.length > maxPartialsPerStep) {
      const failed = await committed;
      if (failed !== undefined) throw failed;
    } else inFlight.set(partition, committed);
    resolveOffset((messages.at(-1) as KafkaMessage).offset);
    await heartbeat();
  };

  return {
    name: "aggregate",
    async start() {
      await admin.connect();
      await consumer.connect();
      await consumer.subscribe({ topics: [sourceTopic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionConcurrency,
        eachBatch,
      });
    },
    async stop() {
      // Transactions in flight finish; disconnect() lets the batch in hand commit (in line now), then
      // leaves the group.
      stopping = true;
      await Promise.all(inFlight.values());
      await consumer.disconnect();
      membership.left();
      await Promise.all(
        [...producers.values()].map((p) => p.then((x) => x.disconnect()).catch(() => {})),
      );
      await admin.disconnect();
    },
    isJoined: membership.isJoined,
  };
}
