/**
 * The consumer skeleton of the stages whose state lives in libSQL (evaluate, market): consume a
 * topic as a consumer group, validate each message, process what is valid and commit it together
 * with the consumed offset in ONE database transaction.
 *
 * - The database's offsets are the truth: on joining the group every assigned partition is sought to
 *   its stored offset, and messages below it are skipped (Kafka's own committed offsets, written after
 *   the database commit, are only a head start for the next owner).
 * - What fails validation is dead-lettered (to `<topic>.dlq`, with its reason) and counted in
 *   `gridpulse_stream_events_invalid_total`; the letters are sent before the transaction, so a crash
 *   can repeat one, never lose one. A failed transaction stores nothing and resolves nothing: the
 *   error reaches kafkajs, which fetches the batch again.
 * - A fetch is committed in slices of at most `maxPerTransaction` messages, each one transaction with
 *   its offset, heartbeating and yielding to the event loop between slices.
 *
 * A stage supplies `validate`, `commit` (its state with the position, one transaction) and what to
 * do around them; aggregate (stage 1) commits to Kafka transactions instead and has its own loop.
 */
import type { EachBatchPayload, Kafka, KafkaMessage, Producer } from "kafkajs";
import type { Logger } from "../../core/observability/logger.ts";
import { yieldToEventLoop } from "../../core/runtime/yield.ts";
import type { Stage } from "../aggregate/aggregate.consumer.ts";
import { type DeadLetter, sendDeadLetters } from "../dlq/dead-letter.sink.ts";
import type { StreamMetrics } from "../metrics/registry.ts";
import { withBatchSpan } from "../tracing/tracing.ts";
import { assignedPartitions, trackMembership } from "./membership.ts";
import { createOffsetResume, type OffsetPosition } from "./stored-offsets.ts";

/** One slice of a batch after validation. */
export interface Validated<V> {
  /** What the stage processes and commits. */
  valid: V;
  deadLetters: DeadLetter[];
  /** Trace contexts the batch span continues (e.g. `traceparent` headers). */
  traceparents?: string[];
}

/** What every database-backed stage is given (main.ts): its topic, group, producer and clock. */
export interface DbStageOptions {
  kafka: Pick<Kafka, "consumer">;
  sourceTopic: string;
  groupId: string;
  deadLetterProducer: Producer;
  metrics: StreamMetrics;
  logger: Logger;
  sessionTimeoutMs: number;
  maxWaitMs: number;
  now: () => number;
  /** The stage's consumer crashed for good (kafkajs will not restart it): main.ts stops the process. */
  onFatal?: (error: Error) => void;
}

export interface DbConsumerOptions<V, R> extends DbStageOptions {
  /**
   * The stage's name: metric label, `gridpulse.stage` on its spans (`receive <topic>` per slice,
   * `process <topic>` per continued trace), log lines.
   */
  stage: string;
  /** Fetch sizes: what one transaction may hold. */
  fetch: { maxBytesPerPartition: number; minBytes?: number };
  /** Messages per transaction (default: the whole fetch). */
  maxPerTransaction?: number;
  /**
   * Whether the transaction of a fetch's last slice stores the batch's end (`batch.lastOffset()`,
   * past trailing control records) rather than its last message's offset.
   */
  throughBatchEnd?: boolean;
  /** The next offset the database holds for a partition (undefined: none yet). */
  storedOffset(partition: number): Promise<bigint | undefined>;
  /** On every (re)join, with the partitions now owned, before they are sought to their offsets. */
  onJoin?(partitions: number[]): void;
  /** Validates (decodes) the messages of one slice of one partition, in offset order. Pure. */
  validate(partition: number, messages: KafkaMessage[], nowMs: number): Validated<V>;
  /** Inside the batch span, after the dead letters and before the transaction. */
  prepare?(valid: V, continued: (traceparent: string) => string): Promise<void>;
  /** Processes `valid` and writes its state with `position` in ONE transaction. */
  commit(valid: V, position: OffsetPosition, nowMs: number): Promise<R>;
  /** After the transaction committed: counters, callbacks. */
  committed?(result: R, slice: Validated<V>, position: OffsetPosition): void;
}

export function createDbConsumerStage<V, R>(options: DbConsumerOptions<V, R>): Stage {
  const { stage, sourceTopic, groupId, metrics, logger } = options;
  const consumer = options.kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    readUncommitted: false,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: Math.max(300, Math.floor(options.sessionTimeoutMs / 5)),
    ...(options.fetch.minBytes !== undefined ? { minBytes: options.fetch.minBytes } : {}),
    maxWaitTimeInMs: options.maxWaitMs,
    maxBytesPerPartition: options.fetch.maxBytesPerPartition,
  });
  const resume = createOffsetResume({
    consumer,
    topic: sourceTopic,
    read: (partition) => options.storedOffset(partition),
    logger,
  });
  const membership = trackMembership(consumer, {
    stage,
    groupId,
    metrics,
    logger,
    ...(options.onFatal ? { onFatal: options.onFatal } : {}),
    onJoin: (payload) => {
      const partitions = assignedPartitions(payload, sourceTopic);
      options.onJoin?.(partitions);
      // Resume every assigned partition exactly where the database says it stopped.
      resume.joined(partitions);
      return { partitions };
    },
  });

  /** Validates one slice and commits it with its offset in one transaction. */
  const commitSlice = async (
    topic: string,
    partition: number,
    messages: KafkaMessage[],
    through: string,
  ) => {
    const slice = options.validate(partition, messages, options.now());
    const position = {
      consumerGroup: groupId,
      topic,
      partition,
      nextOffset: (BigInt(through) + 1n).toString(),
    };
    let result: R | undefined;
    await withBatchSpan(
      { stage, topic, partition, consumerGroup: groupId, messageCount: messages.length },
      slice.traceparents ?? [],
      async (_span, continued) => {
        await sendDeadLetters(options.deadLetterProducer, topic, slice.deadLetters, options.now());
        await options.prepare?.(slice.valid, continued);
        const endTx = metrics.transactionDuration.startTimer({ stage });
        try {
          result = await options.commit(slice.valid, position, options.now());
        } catch (error) {
          resume.uncertain(partition);
          throw error;
        }
        endTx();
      },
    );
    resume.committed(partition, position.nextOffset);
    // Kafka's committed offset trails the database's: only a starting hint for the next owner.
    await consumer
      .commitOffsets([{ topic, partition, offset: position.nextOffset }])
      .catch((err: unknown) => logger.warn("advisory offset commit failed", { partition, err }));
    for (const letter of slice.deadLetters)
      metrics.eventsInvalid.inc({ topic, reason: letter.reason });
    options.committed?.(result as R, slice, position);
  };

  const eachBatch = async ({ batch, resolveOffset, heartbeat, isStale }: EachBatchPayload) => {
    if (batch.messages.length === 0 || isStale()) return;
    const endBatch = metrics.batchDuration.startTimer({ stage });
    const partition = batch.partition;
    const fresh = await resume.unprocessed(partition, batch.messages);
    if (fresh.length === 0) {
      resolveOffset(batch.lastOffset());
      return;
    }
    const size = options.maxPerTransaction ?? fresh.length;
    for (let i = 0; i < fresh.length; i += size) {
      if (i > 0) {
        await heartbeat();
        await yieldToEventLoop();
        if (isStale()) return;
      }
      const messages = fresh.slice(i, i + size);
      const through =
        options.throughBatchEnd && i + size >= fresh.length
          ? batch.lastOffset()
          : (messages.at(-1) as KafkaMessage).offset;
      await commitSlice(batch.topic, partition, messages, through);
      resolveOffset(through);
    }
    endBatch();
    await heartbeat();
  };

  return {
    name: stage,
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topics: [sourceTopic], fromBeginning: true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
    },
    async stop() {
      await consumer.disconnect();
      membership.left();
    },
    isJoined: membership.isJoined,
  };
}
