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
import type { Stage } from "../aggregate/aggregate.consumer.ts";
import { createDbConsumerStage, type DbStageOptions } from "../kafka/db-consumer.ts";
import {
  type ConsumedMarketEvent,
  decodeMarketBatch,
  type MarketSettings,
} from "./market.process.ts";
import type { MarketStore } from "./market.store.ts";

export interface MarketStageOptions extends DbStageOptions {
  store: MarketStore;
  settings: MarketSettings;
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
