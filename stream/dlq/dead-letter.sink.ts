/**
 * Dead letters: a message that cannot be processed is copied to `<topic>.dlq` with its original key,
 * value and headers, plus headers naming the source topic, partition, offset and the reason. Stage 1
 * sends them inside its Kafka transaction (exactly once with its offsets); stage 2 sends them before
 * its database commit (at least once: a crash can repeat a dead letter, never lose one).
 */
import type { IHeaders, KafkaMessage, Message, Producer } from "kafkajs";
import { deadLetterHeaders, deadLetterTopic } from "../../core/events/topics.ts";

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

export function deadLetterMessages(
  sourceTopic: string,
  letters: readonly DeadLetter[],
  nowMs: number,
): Message[] {
  return letters.map((letter) => ({
    key: letter.key,
    value: letter.value,
    headers: {
      ...letter.headers,
      [deadLetterHeaders.reason]: letter.reason,
      [deadLetterHeaders.error]: letter.error.slice(0, maxErrorHeaderBytes),
      [deadLetterHeaders.sourceTopic]: sourceTopic,
      [deadLetterHeaders.sourcePartition]: String(letter.partition),
      [deadLetterHeaders.sourceOffset]: letter.offset,
      [deadLetterHeaders.failedAt]: new Date(nowMs).toISOString(),
    },
  }));
}

/** Sends dead letters outside any transaction, acknowledged by all in-sync replicas. */
export async function sendDeadLetters(
  producer: Producer,
  sourceTopic: string,
  letters: readonly DeadLetter[],
  nowMs: number,
) {
  if (letters.length === 0) return;
  await producer.send({
    topic: deadLetterTopic(sourceTopic),
    acks: -1,
    messages: deadLetterMessages(sourceTopic, letters, nowMs),
  });
}
