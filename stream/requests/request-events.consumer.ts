/**
 * Consumer of `telemetry.requests.v1`: fetch a batch -> classify (pure) -> dead-letter the invalid
 * messages -> hand valid events to the sinks -> commit the next offset. Offsets are committed only after
 * the batch's effects are durable, so a crash re-reads rather than loses. On stop, kafkajs lets the
 * batch in hand finish (and commit) before the consumer leaves its group.
 */
import type { Consumer, EachBatchPayload, Kafka } from "kafkajs";
import type { RequestEvent } from "../../core/events/request-event.ts";
import type { Logger } from "../../core/observability/logger.ts";
import type { DeadLetterSink } from "../dlq/dead-letter.sink.ts";
import type { StreamMetrics } from "../metrics/registry.ts";
import { classifyRequestMessages } from "./request-events.process.ts";

export interface RequestEventBatch {
  topic: string;
  partition: number;
  events: RequestEvent[];
}

/** Receives the valid events of each batch before its offsets are committed. */
export type RequestEventSink = (batch: RequestEventBatch) => Promise<void>;

export interface RequestEventsConsumerOptions {
  kafka: Kafka;
  topic: string;
  groupId: string;
  deadLetters: DeadLetterSink;
  sinks: readonly RequestEventSink[];
  metrics: StreamMetrics;
  logger: Logger;
  sessionTimeoutMs: number;
}

export interface RequestEventsConsumer {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** True while the consumer is a member of its group (joined and not crashed or stopped). */
  isJoined(): boolean;
}

export function createRequestEventsConsumer(
  options: RequestEventsConsumerOptions,
): RequestEventsConsumer {
  const { topic, groupId, metrics, logger } = options;
  const consumer: Consumer = options.kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    // A member that crashed (no LeaveGroup) holds its partitions until its session times out: keep
    // that short so a restarted worker resumes within seconds.
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: Math.max(500, Math.floor(options.sessionTimeoutMs / 5)),
  });
  let joined = false;
  const setJoined = (value: boolean) => {
    joined = value;
    metrics.consumerJoined.set({ group: groupId }, value ? 1 : 0);
  };
  setJoined(false);

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    setJoined(true);
    logger.info("joined consumer group", {
      groupId,
      memberId: payload.memberId,
      assignment: payload.memberAssignment,
    });
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    setJoined(false);
    logger.error("consumer crashed", { groupId, err: payload.error, restart: payload.restart });
  });
  consumer.on(consumer.events.STOP, () => setJoined(false));

  const eachBatch = async ({ batch, resolveOffset, heartbeat }: EachBatchPayload) => {
    if (batch.messages.length === 0) return;
    const endTimer = metrics.batchDuration.startTimer({ topic });
    const { events, deadLetters } = classifyRequestMessages(batch.partition, batch.messages);
    if (deadLetters.length > 0) {
      await options.deadLetters.send(batch.topic, deadLetters);
      for (const letter of deadLetters) {
        metrics.eventsInvalid.inc({ topic, reason: letter.reason });
        logger.warn("dead-lettered message", {
          topic,
          partition: batch.partition,
          offset: letter.offset,
          reason: letter.reason,
          error: letter.error,
        });
      }
    }
    for (const sink of options.sinks) {
      await sink({ topic: batch.topic, partition: batch.partition, events });
    }
    const lastOffset = batch.lastOffset();
    await consumer.commitOffsets([
      {
        topic: batch.topic,
        partition: batch.partition,
        offset: (BigInt(lastOffset) + 1n).toString(),
      },
    ]);
    resolveOffset(lastOffset);
    metrics.eventsProcessed.inc({ topic }, events.length);
    endTimer();
    await heartbeat();
  };

  return {
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
    },
    async stop() {
      // disconnect() waits for the running batch (which commits its own offsets), then leaves the group.
      await consumer.disconnect();
      setJoined(false);
    },
    isJoined: () => joined,
  };
}
