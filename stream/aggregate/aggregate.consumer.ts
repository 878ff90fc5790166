/**
 * Stage 1 (aggregate): a consumer group over `telemetry.requests.v1`. Each fetched batch of a partition
 * becomes one Kafka transaction holding its partial aggregates (to `telemetry.aggregates.v1`), its
 * dead letters (invalid and late events, to the `.dlq` topic) and the consumed offset — exactly-once
 * consume-transform-produce. The partition's watermark maximum rides along as the offset's commit
 * metadata, so a restarted or new owner resumes with the same lateness decisions. Each partition has its
 * own transactional producer (`<group>.<topic>.<partition>`): whoever takes over a partition fences
 * the previous owner's producer, so a paused zombie can never commit for it again.
 */
import type { Admin, Consumer, EachBatchPayload, Kafka, Producer } from "kafkajs";
import { deadLetterTopic } from "../../core/events/topics.ts";
import type { Logger } from "../../core/observability/logger.ts";
import { deadLetterMessages } from "../dlq/dead-letter.sink.ts";
import { chunkMessages } from "../kafka/chunks.ts";
import { trackMembership } from "../kafka/membership.ts";
import type { StreamMetrics } from "../metrics/registry.ts";
import { withBatchSpan } from "../tracing/tracing.ts";
import { type AggregateSettings, aggregateBatch } from "./aggregate.process.ts";

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

export function createAggregateStage(options: AggregateStageOptions): Stage {
  const { kafka, sourceTopic, outputTopic, groupId, metrics, logger } = options;
  const consumer: Consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: Math.max(300, Math.floor(options.sessionTimeoutMs / 5)),
    minBytes: 256 * 1024,
    maxWaitTimeInMs: options.maxWaitMs,
    maxBytesPerPartition: 2 * 1024 * 1024,
    maxBytes: 8 * 1024 * 1024,
  });
  const admin: Admin = kafka.admin();
  let producers = new Map<number, Promise<Producer>>();
  let watermarks = new Map<number, Promise<number | null>>();
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
          return (JSON.parse(committed.metadata) as WatermarkMetadata).maxTsMs ?? null;
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

  const eachBatch = async ({ batch, resolveOffset, heartbeat, isStale }: EachBatchPayload) => {
    if (batch.messages.length === 0 || isStale()) return;
    const endBatch = metrics.batchDuration.startTimer({ stage: "aggregate" });
    const partition = batch.partition;
    const maxTsBefore = await watermarkFor(partition);
    const result = aggregateBatch(partition, batch.messages, maxTsBefore, options.settings());
    const nextOffset = (BigInt(batch.lastOffset()) + 1n).toString();
    await withBatchSpan(
      "gridpulse.aggregate.batch",
      {
        "messaging.destination.name": batch.topic,
        "messaging.kafka.partition": partition,
        "messaging.batch.message_count": batch.messages.length,
      },
      result.traceparents,
      async (_span, continued) => {
        const producer = await producerFor(partition);
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
          const letters = deadLetterMessages(batch.topic, result.deadLetters, options.now());
          for (const chunk of chunkMessages(letters))
            await tx.send({ topic: deadLetterTopic(batch.topic), messages: chunk });
          await tx.sendOffsets({
            consumerGroupId: groupId,
            topics: [
              {
                topic: batch.topic,
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
          // The producer may have been fenced by a new owner of the partition: start over with a new one.
          const stale = producers.get(partition);
          producers.delete(partition);
          closeProducers(new Map(stale ? [[partition, stale]] : []));
          throw error;
        }
      },
    );
    watermarks.set(partition, Promise.resolve(result.maxTsMs));
    resolveOffset(batch.lastOffset());
    metrics.eventsProcessed.inc({ topic: sourceTopic }, result.processed);
    metrics.eventsLate.inc({ topic: sourceTopic }, result.late);
    metrics.partials.inc({ direction: "produced" }, result.partials.length);
    for (const letter of result.deadLetters) {
      if (letter.reason !== "late_event")
        metrics.eventsInvalid.inc({ topic: sourceTopic, reason: letter.reason });
    }
    if (result.deadLetters.length > 0) {
      logger.warn("dead-lettered messages", {
        topic: batch.topic,
        partition,
        count: result.deadLetters.length,
        first: {
          offset: result.deadLetters[0]?.offset,
          reason: result.deadLetters[0]?.reason,
          error: result.deadLetters[0]?.error,
        },
      });
    }
    endBatch();
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
      // disconnect() lets the batch in hand finish its transaction, then leaves the group.
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
