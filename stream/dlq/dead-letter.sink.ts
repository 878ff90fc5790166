/**
 * Dead letters: a message that cannot be processed is copied to `<topic>.dlq` with its original key,
 * value and headers, plus headers naming the source topic, partition, offset and the reason. Stage 1
 * sends them inside its Kafka transaction (exactly once with its offsets); stage 2 sends them before
 * its database commit (at least once: a crash can repeat a dead letter, never lose one).
 */
import type { IHeaders, KafkaMessage, Message, Producer } from "kafkajs";
import { deadLetterHeaders, deadLetterTopic } from "../../core/events/topics.ts";
import { chunkMessages, headerBytes } from "../kafka/chunks.ts";

export interface DeadLetter {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
  reason: string;
  error: string;
}

const maxErrorHeaderBytes = 2048;

/** The dead letter of a consumed message: its key, value and headers as they arrived, and why. */
export function deadLetterOf(
  partition: number,
  message: KafkaMessage,
  reason: string,
  error: string,
): DeadLetter {
  return {
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    ...(message.headers ? { headers: message.headers } : {}),
    reason,
    error,
  };
}

/**
 * The largest dead letter sent whole (key, value and headers): under the broker's default message
 * size limit (`message.max.bytes`, 1,048,588 bytes with the record batch's own overhead). The source
 * topic takes a value up to that limit and a letter adds its reason and error, so a letter of a value
 * near the limit would be refused, and stage 1, which sends its letters in its transaction, would
 * retry that transaction for ever. Such a letter keeps the first bytes of its value instead.
 */
export const maxDeadLetterBytes = 1_000_000;

export function deadLetterMessages(
  sourceTopic: string,
  letters: readonly DeadLetter[],
  nowMs: number,
  maxBytes = maxDeadLetterBytes,
): Message[] {
  return letters.map((letter) => {
    const own: IHeaders = {
      [deadLetterHeaders.reason]: letter.reason,
      [deadLetterHeaders.error]: letter.error.slice(0, maxErrorHeaderBytes),
      [deadLetterHeaders.sourceTopic]: sourceTopic,
      [deadLetterHeaders.sourcePartition]: String(letter.partition),
      [deadLetterHeaders.sourceOffset]: letter.offset,
      [deadLetterHeaders.failedAt]: new Date(nowMs).toISOString(),
    };
    let original = letter.headers;
    let value = letter.value;
    // Room for the size headers this may add, and the record's own fields.
    const fixed = (letter.key?.length ?? 0) + headerBytes(own) + 256;
    if (original && fixed + headerBytes(original) > maxBytes) {
      own[deadLetterHeaders.droppedHeaders] = String(Object.keys(original).length);
      original = undefined;
    }
    const room = maxBytes - fixed - headerBytes(original);
    if (value && value.length > room) {
      own[deadLetterHeaders.originalValueBytes] = String(value.length);
      value = value.subarray(0, Math.max(0, room));
    }
    return { key: letter.key, value, headers: { ...original, ...own } };
  });
}

/**
 * Sends dead letters outside any transaction, acknowledged by all in-sync replicas, in sends the
 * broker takes (a burst of letters in one send was refused as one batch over the size limit).
 */
export async function sendDeadLetters(
  producer: Producer,
  sourceTopic: string,
  letters: readonly DeadLetter[],
  nowMs: number,
) {
  if (letters.length === 0) return;
  for (const messages of chunkMessages(deadLetterMessages(sourceTopic, letters, nowMs)))
    await producer.send({ topic: deadLetterTopic(sourceTopic), acks: -1, messages });
}
