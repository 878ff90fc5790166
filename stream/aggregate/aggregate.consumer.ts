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
 * Pipelined: a batch's transaction runs while kafkajs fetches and decodes the next batch (kafkajs
 * fetches only once every handler has returned), so the broker round trips of a transaction overlap
 * the next fetch instead of adding to it. The next batch of the same partition waits for that commit
 * before its own transaction begins, and a failed commit fails it (the consumer restarts from the
 * committed offsets). A partition is taken on in a new generation only after its producer has fenced
 * the previous owner (InitProducerId completes or aborts any transaction still in flight) and the
 * committed offset has then been read: messages below it are skipped, so a hand-over never repeats a
 * batch whose commit was still in flight when the partition moved.
 */
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from "kafkajs";
import { deadLetterTopic } from "../../core/events/topics.ts";
import type { Logger } from "../../core/observability/logger.ts";
import { yieldToEventLoop } from "../../core/runtime/yield.ts";
import { deadLetterMessages } from "../dlq/dead-letter.sink.ts";
import { chunkMessages } from "../kafka/chunks.ts";
import { assignedPartitions, trackMembership } from "../kafka/membership.ts";
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

/** A partition taken on in this generation: its fenced producer and what was committed for it. */
interface PartitionStart {
  producer: Producer;
  /** The stored watermark maximum (null: none). */
  maxTsMs: number | null;
  /** The committed next offset (null: nothing committed yet). */
  committed: bigint | null;
}

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
  /** Per partition, in this generation: the fenced producer and the committed state read after it. */
  let starts = new Map<number, Promise<PartitionStart>>();
  /** Per partition, the watermark maximum after the last batch aggregated (committed or in flight). */
  let watermarks = new Map<number, number | null>();
  /** Per partition, the transaction of its last batch while it runs (this generation). */
  let pending = new Map<number, Promise<void>>();
  /** Set by stop(): batches commit before their handler returns, so the group is left committed. */
  let stopping = false;
  /**
   * A transaction that failed after its handler returned: every later batch fails with it, so the
   * consumer restarts and resumes from the committed offsets (cleared by the new generation).
   */
  let failed: unknown;
  /** Settles when the previous generation's transactions in flight have ended. */
  let handover: Promise<unknown> = Promise.resolve();
  /**
   * Per partition, the offset after the last batch this process committed. Right after a rejoin the
   * group coordinator may still answer a committed offset from before the last transaction's marker
   * (kafkajs cannot ask for stable offsets), so a batch may be handed in again: messages below this
   * mark were committed with their output and are skipped, never counted twice. Kept across rebalances: it only ever names offsets whose
   * transaction committed, so skipping below it is right whoever owned the partition in between.
   */
  const committedNext = new Map<number, bigint>();
  /** Disconnects producers once their partition's transaction in flight (if any) has ended. */
  const closeProducers = (
    old: Map<number, Promise<Producer>>,
    inFlight: ReadonlyMap<number, Promise<void>> = new Map(),
  ) => {
    for (const [partition, producer] of old)
      void Promise.allSettled([inFlight.get(partition)])
        .then(() => producer)
        .then((p) => p.disconnect())
        .catch(() => {});
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
      const inFlight = pending;
      producers = new Map();
      starts = new Map();
      watermarks = new Map();
      pending = new Map();
      failed = undefined;
      // A transaction of the old generation still in flight either commits or is aborted when the
      // partition's producer is fenced; its result no longer matters here (the committed offset is
      // read again after fencing), only that it is not reported as unhandled.
      for (const commit of inFlight.values()) commit.catch(() => {});
      // This process's own commits still in flight end before any partition is taken on again, so
      // `committedNext` holds every offset it committed (the group coordinator may answer an offset
      // from before a commit's markers for a moment after it ended).
      handover = Promise.allSettled(inFlight.values());
      closeProducers(old, inFlight);
      // Fence and read each assigned partition now, while the first fetch runs.
      for (const partition of assignedPartitions(payload, sourceTopic))
        startFor(partition).catch(() => {});
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
        // A transaction begun right after the previous one committed (always, now that commits are
        // pipelined) meets CONCURRENT_TRANSACTIONS until the broker has written the markers (a few
        // ms, more on a busy broker); kafkajs' default backoff (300 ms, doubling) made that wait most
        // of a batch's time. Poll every ~10 ms, backing off slowly (20 retries: about 6 s in all).
        retry: { initialRetryTime: 10, multiplier: 1.3, retries: 20 },
      });
      producer = p.connect().then(() => p);
      producers.set(partition, producer);
      producer.catch(() => producers.delete(partition));
    }
    return producer;
  };

  /**
   * Takes a partition on in this generation: its transactional producer first (InitProducerId fences
   * the previous owner and completes or aborts its transaction in flight), then the committed offset
   * and watermark as they stand after that.
   */
  const startFor = (partition: number) => {
    let start = starts.get(partition);
    if (!start) {
      const generation = starts;
      const previous = handover;
      start = (async (): Promise<PartitionStart> => {
        await previous;
        const producer = await producerFor(partition);
        const topics = await admin.fetchOffsets({ groupId, topics: [sourceTopic] });
        const stored = topics[0]?.partitions.find((p) => p.partition === partition);
        const committed =
          stored && Number(stored.offset) >= 0 ? BigInt(stored.offset) : (null as bigint | null);
        return { producer, maxTsMs: storedWatermark(partition, stored?.metadata), committed };
      })();
      generation.set(partition, start);
      start.catch(() => {
        if (generation.get(partition) === start) generation.delete(partition);
      });
    }
    return start;
  };

  const storedWatermark = (partition: number, metadata: string | null | undefined) => {
    if (!metadata) return null;
    try {
      const stored = (JSON.parse(metadata) as WatermarkMetadata).maxTsMs ?? null;
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
  };

  /** A batch's partials, dead letters and offset (with the watermark) in one transaction. */
  const commitBatch = async (
    topic: string,
    partition: number,
    producer: Producer,
    messages: readonly KafkaMessage[],
    result: AggregateResult,
  ) => {
    const lastOffset = (messages.at(-1) as KafkaMessage).offset;
    const nextOffset = (BigInt(lastOffset) + 1n).toString();
    await withBatchSpan(
      "gridpulse.aggregate.batch",
      {
        "messaging.destination.name": topic,
        "messaging.kafka.partition": partition,
        "messaging.batch.message_count": messages.length,
      },
      result.traceparents,
      async (_span, continued) => {
        const tx = await producer.transaction();
        try {
          // Each partial carries, as `traceparent` headers, the stage-1 spans of its sampled events:
          // stage 2 continues those traces.
          const partials = result.partials.map((p, i) => {
            const traces = (result.partialTraceparents[i] ?? []).map(continued);
            return traces.length > 0
              ? { key: p.service, value: JSON.stringify(p), headers: { traceparent: traces } }
              : { key: p.service, value: JSON.stringify(p) };
          });
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
          // one (unless a new generation already has).
          const current = producers.get(partition);
          if (current !== undefined && (await current.catch(() => undefined)) === producer) {
            producers.delete(partition);
            starts.delete(partition);
            closeProducers(new Map([[partition, current]]));
          }
          throw error;
        }
      },
    );
    const next = BigInt(nextOffset);
    if ((committedNext.get(partition) ?? -1n) < next) committedNext.set(partition, next);
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
    if (batch.messages.length === 0 || isStale()) return;
    if (failed !== undefined) throw failed;
    const endBatch = metrics.batchDuration.startTimer({ stage: "aggregate" });
    const partition = batch.partition;
    const generation = { starts, watermarks, pending };
    const start = await startFor(partition);
    if (isStale() || generation.starts !== starts) return;
    if (start.committed !== null && (committedNext.get(partition) ?? -1n) < start.committed)
      committedNext.set(partition, start.committed);
    let maxTs = watermarks.has(partition)
      ? (watermarks.get(partition) as number | null)
      : start.maxTsMs;
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
    const merged: AggregateResult = {
      consumed: 0,
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
      merged.consumed += step.consumed;
      for (const p of step.partials) merged.partials.push(p);
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
    // The next batch of this partition aggregates from here, while this one commits.
    generation.watermarks.set(partition, merged.maxTsMs);
    // One transaction at a time per producer: the previous batch's must have committed (if it
    // failed, so does this batch, and the consumer restarts from the committed offsets).
    await generation.pending.get(partition);
    if (isStale() || generation.pending !== pending) return;
    if (failed !== undefined) throw failed;
    const commit = commitBatch(batch.topic, partition, start.producer, messages, merged).then(
      () => {
        endBatch();
      },
    );
    if (stopping) {
      await commit;
    } else {
      pending.set(partition, commit);
      // Observed here so a failure is not unhandled; the next batch of the partition awaits it.
      commit.then(
        () => {
          if (pending.get(partition) === commit) pending.delete(partition);
        },
        (error: unknown) => {
          if (generation.pending !== pending) return; // a new generation has taken over
          failed ??= error;
          logger.warn("aggregate batch commit failed; resuming from the committed offsets", {
            partition,
            error: String(error),
          });
          // Fetch the batch again even if nothing new arrives: its handler fails, and the consumer
          // restarts from the committed offsets.
          try {
            consumer.seek({ topic: batch.topic, partition, offset: messages[0]?.offset ?? "0" });
          } catch {
            // Not running (stopping): the next start resumes from the committed offsets anyway.
          }
        },
      );
    }
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
      // From now on batches commit before their handler returns; the transactions already in flight
      // end first, then disconnect() lets the batch in hand finish its own and leaves the group.
      stopping = true;
      await Promise.allSettled(pending.values());
      await consumer.disconnect();
      await Promise.allSettled(pending.values());
      membership.left();
      await Promise.all(
        [...producers.values()].map((p) => p.then((x) => x.disconnect()).catch(() => {})),
      );
      await admin.disconnect();
    },
    isJoined: membership.isJoined,
  };
}
