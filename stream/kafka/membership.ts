/**
 * Group membership of a stage's consumer, the same for every stage: whether it has joined (health and
 * the `gridpulse_stream_consumer_joined` gauge), the join and crash log lines, and the consumer lag per
 * partition after each batch. `onJoin` runs on every new generation, before the log line, and returns
 * extra fields for it; `onFatal` when the consumer crashed for good (kafkajs will not restart it).
 */
import type { Consumer, ConsumerGroupJoinEvent } from "kafkajs";
import type { Logger } from "../../core/observability/logger.ts";
import type { StreamMetrics } from "../metrics/registry.ts";

export interface Membership {
  isJoined(): boolean;
  /** Marks the consumer as having left (on stop). */
  left(): void;
}

export function trackMembership(
  consumer: Consumer,
  options: {
    stage: string;
    groupId: string;
    metrics: Pick<StreamMetrics, "consumerJoined" | "consumerLag">;
    logger: Logger;
    onJoin?: (payload: ConsumerGroupJoinEvent["payload"]) => Record<string, unknown> | undefined;
    /** The consumer crashed and kafkajs will not restart it: the stage consumes nothing any more. */
    onFatal?: (error: Error) => void;
  },
): Membership {
  const { stage, groupId, metrics, logger } = options;
  let joined = false;
  const setJoined = (value: boolean) => {
    joined = value;
    metrics.consumerJoined.set({ group: groupId }, value ? 1 : 0);
  };
  setJoined(false);
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    setJoined(true);
    const fields = options.onJoin?.(payload);
    logger.info(`${stage} stage joined`, { groupId, ...fields });
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    setJoined(false);
    logger.error(`${stage} consumer crashed`, { err: payload.error, restart: payload.restart });
    // kafkajs gives up on an error it holds for not retriable: left alone, the process would live on
    // with this stage idle (readiness 503, nothing consumed) until someone restarted it.
    if (!payload.restart) options.onFatal?.(payload.error);
  });
  consumer.on(consumer.events.STOP, () => setJoined(false));
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    metrics.consumerLag.set(
      { group: groupId, topic: payload.topic, partition: String(payload.partition) },
      Number(payload.offsetLag),
    );
  });
  return { isJoined: () => joined, left: () => setJoined(false) };
}

/** The partitions of `topic` in a join's assignment, sorted. */
export const assignedPartitions = (payload: ConsumerGroupJoinEvent["payload"], topic: string) =>
  (payload.memberAssignment[topic] ?? []).slice().sort((a, b) => a - b);
