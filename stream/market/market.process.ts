/**
 * The market consumer's pure batch step: decodes the messages of one fetched batch of one partition, in
 * offset order, into validated MarketEvents, and dead-letters what does not decode or validate (bad
 * bytes, JSON, schema, a wrong unit) and events dated implausibly far in the future — a price dated
 * 2199 would otherwise stay "latest" forever, since an older price never replaces a newer one.
 */
import type { KafkaMessage } from "kafkajs";
import { decodeEvent } from "../../core/events/decode.ts";
import { type MarketEvent, marketEventSchema } from "../../core/events/market-event.ts";
import { type DeadLetter, deadLetterOf } from "../dlq/dead-letter.sink.ts";

export interface ConsumedMarketEvent {
  event: MarketEvent;
  partition: number;
  offset: string;
}

export interface MarketBatch {
  events: ConsumedMarketEvent[];
  deadLetters: DeadLetter[];
}

export interface MarketSettings {
  /** How far ahead of the worker's clock an event's `ts` may be. */
  maxFutureMs: number;
}

export function decodeMarketBatch(
  partition: number,
  messages: readonly KafkaMessage[],
  nowMs: number,
  settings: MarketSettings,
): MarketBatch {
  const events: ConsumedMarketEvent[] = [];
  const deadLetters: DeadLetter[] = [];
  for (const message of messages) {
    const decoded = decodeEvent(marketEventSchema, message.value);
    if (!decoded.ok) {
      deadLetters.push(deadLetterOf(partition, message, decoded.reason, decoded.message));
      continue;
    }
    const aheadMs = decoded.value.ts - nowMs;
    if (aheadMs > settings.maxFutureMs) {
      deadLetters.push(
        deadLetterOf(
          partition,
          message,
          "future_timestamp",
          `ts: ${new Date(decoded.value.ts).toISOString()} is ${aheadMs} ms ahead of the worker's clock (at most ${settings.maxFutureMs} ms allowed)`,
        ),
      );
      continue;
    }
    events.push({ event: decoded.value, partition, offset: message.offset });
  }
  return { events, deadLetters };
}
