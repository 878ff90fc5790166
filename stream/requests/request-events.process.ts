/**
 * Pure batch step of the request-telemetry consumer: decode every message of a fetched batch into a
 * RequestEvent or a dead letter with the reason. No I/O; tested without Kafka.
 */
import type { KafkaMessage } from "kafkajs";
import { decodeEvent } from "../../core/events/decode.ts";
import { type RequestEvent, requestEventSchema } from "../../core/events/request-event.ts";
import type { DeadLetter } from "../dlq/dead-letter.sink.ts";

export interface ClassifiedBatch {
  events: RequestEvent[];
  deadLetters: DeadLetter[];
}

export function classifyRequestMessages(
  partition: number,
  messages: readonly KafkaMessage[],
): ClassifiedBatch {
  const events: RequestEvent[] = [];
  const deadLetters: DeadLetter[] = [];
  for (const message of messages) {
    const decoded = decodeEvent(requestEventSchema, message.value);
    if (decoded.ok) {
      events.push(decoded.value);
    } else {
      deadLetters.push({
        partition,
        offset: message.offset,
        key: message.key,
        value: message.value,
        headers: message.headers,
        reason: decoded.reason,
        error: decoded.message,
      });
    }
  }
  return { events, deadLetters };
}
