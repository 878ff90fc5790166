/**
 * The market stage: a consumer group over `market.events.v1` (prices, subsidy programs, regulations)
 * on the database-consumer skeleton (stream/kafka/db-consumer.ts). Each fetched batch of a partition
 * is decoded (market.process.ts); what fails goes to `market.events.v1.dlq` with its reason and is
 * counted; the valid events and the consumed offset are written in one libSQL transaction
 * (market.store.ts). As in stage 2, the database's offsets are the truth: on joining the group the
 * consumer seeks each assigned partition to them and skips messages below them; Kafka's committed
 * offsets (written after the database commit) are only a head start. Dead letters are sent before the
 * commit, so a crash can repeat one, never lose one.
 */
import type { Kafka, Producer } from "kafkajs";
import type { Logger } from "../../core/observability/logger.ts";
import type { Stage } from "../aggregate/aggregate.consumer.ts";
import { createDbConsumerStage } from "../kafka/db-consumer.ts";
import type { StreamMetrics } from "../metrics/registry.ts";
import {
  type ConsumedMarketEvent,
  decodeMarketBatch,
  type MarketSettings,
} from "./market.process.ts";
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
  const { sourceTopic, groupId, store, metrics, logger } = options;
  return createDbConsumerStage<ConsumedMarketEvent[], string[]>({
    ...options,
    stage: "market",
    // Market events are few and small; a modest fetch keeps each transaction short.
    fetch: { maxBytesPerPartition: 512 * 1024 },
    // One transaction per fetch, through the batch's end.
    throughBatchEnd: true,
    storedOffset: (partition) => store.storedOffset(groupId, sourceTopic, partition),
    validate(partition, messages, nowMs) {
      const decoded = decodeMarketBatch(partition, messages, nowMs, options.settings);
      return { valid: decoded.events, deadLetters: decoded.deadLetters };
    },
    commit: (events, position, nowMs) => store.apply(events, position, nowMs),
    committed(outcomes, { valid, deadLetters }, { topic, partition }) {
      valid.forEach(({ event }, i) => {
        metrics.marketEvents.inc({ kind: event.kind, outcome: outcomes[i] ?? "applied" });
      });
      if (deadLetters.length > 0) {
        const first = deadLetters[0];
        logger.warn("dead-lettered market events", {
          topic,
          partition,
          count: deadLetters.length,
          first: { offset: first?.offset, reason: first?.reason, error: first?.error },
        });
      }
    },
  });
}
