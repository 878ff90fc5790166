/**
 * The market stage: a consumer group over `market.events.v1` (prices, subsidy programs, regulations).
 * Each fetched batch of a partition is decoded (market.process.ts); what fails goes to
 * `market.events.v1.dlq` with its reason and is counted; the valid events and the consumed offset are
 * written in one libSQL transaction (market.store.ts). As in stage 2, the database's offsets are the
 * truth: on joining the group the consumer seeks each assigned partition to them and skips messages
 * below them; Kafka's committed offsets (written after the database commit) are only a head start.
 * Dead letters are sent before the commit, so a crash can repeat one, never lose one.
 */
import type { Consumer, EachBatchPayload, Kafka, Producer } from "kafkajs";
import type { Logger } from "../../core/observability/logger.ts";
import type { Stage } from "../aggregate/aggregate.consumer.ts";
import { sendDeadLetters } from "../dlq/dead-letter.sink.ts";
import { assignedPartitions, trackMembership } from "../kafka/membership.ts";
import { createOffsetResume } from "../kafka/stored-offsets.ts";
import type { StreamMetrics } from "../metrics/registry.ts";
import { withBatchSpan } from "../tracing/tracing.ts";
import { decodeMarketBatch, type MarketSettings } from "./market.process.ts";
import type { MarketStore } from "./market.store.ts";

export interface MarketStageOptions {
  kafka: Kafka;
  sourceTopic: string;
  groupId: string;
  store: MarketStore;
  deadLetterProducer: Producer;
  settings: MarketSettings;
  metrics: StreamMetrics;
  logger: Logger;
  sessionTimeoutMs: number;
  maxWaitMs: number;
  now: () => number;
}

export function createMarketStage(options: MarketStageOptions): Stage {
  const { kafka, sourceTopic, groupId, store, metrics, logger } = options;
  const consumer: Consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: Math.max(300, Math.floor(options.sessionTimeoutMs / 5)),
    maxWaitTimeInMs: options.maxWaitMs,
    // Market events are few and small; a modest fetch keeps each transaction short.
    maxBytesPerPartition: 512 * 1024,
  });
  const resume = createOffsetResume({
    consumer,
    topic: sourceTopic,
    read: (partition) => store.storedOffset(groupId, sourceTopic, partition),
    logger,
  });

  const membership = trackMembership(consumer, {
    stage: "market",
    groupId,
    metrics,
    logger,
    onJoin: (payload) => {
      const partitions = assignedPartitions(payload, sourceTopic);
      resume.joined(partitions);
      return { partitions };
    },
  });

  const eachBatch = async ({ batch, resolveOffset, heartbeat, isStale }: EachBatchPayload) => {
    if (batch.messages.length === 0 || isStale()) return;
    const endBatch = metrics.batchDuration.startTimer({ stage: "market" });
    const partition = batch.partition;
    const fresh = await resume.unprocessed(partition, batch.messages);
    if (fresh.length === 0) {
      resolveOffset(batch.lastOffset());
      return;
    }
    const decoded = decodeMarketBatch(partition, fresh, options.now(), options.settings);
    const nextOffset = (BigInt(batch.lastOffset()) + 1n).toString();
    let outcomes: string[] = [];
    await withBatchSpan(
      "gridpulse.market.batch",
      {
        "messaging.destination.name": batch.topic,
        "messaging.kafka.partition": partition,
        "messaging.batch.message_count": fresh.length,
      },
      [],
      async () => {
        await sendDeadLetters(
          options.deadLetterProducer,
          batch.topic,
          decoded.deadLetters,
          options.now(),
        );
        const endTx = metrics.transactionDuration.startTimer({ stage: "market" });
        outcomes = await store.apply(
          decoded.events,
          { consumerGroup: groupId, topic: batch.topic, partition, nextOffset },
          options.now(),
        );
        endTx();
      },
    );
    resume.committed(partition, nextOffset);
    await consumer
      .commitOffsets([{ topic: batch.topic, partition, offset: nextOffset }])
      .catch((err: unknown) => logger.warn("advisory offset commit failed", { partition, err }));
    resolveOffset(batch.lastOffset());
    decoded.events.forEach(({ event }, i) => {
      metrics.marketEvents.inc({ kind: event.kind, outcome: outcomes[i] ?? "applied" });
    });
    for (const letter of decoded.deadLetters)
      metrics.eventsInvalid.inc({ topic: batch.topic, reason: letter.reason });
    if (decoded.deadLetters.length > 0) {
      const first = decoded.deadLetters[0];
      logger.warn("dead-lettered market events", {
        topic: batch.topic,
        partition,
        count: decoded.deadLetters.length,
        first: { offset: first?.offset, reason: first?.reason, error: first?.error },
      });
    }
    endBatch();
    await heartbeat();
  };

  return {
    name: "market",
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
