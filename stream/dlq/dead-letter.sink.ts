/**
 * Dead-letter sink: copies a message that cannot be processed to `<topic>.dlq` with its original key,
 * value and headers, plus headers naming the source topic, partition, offset and the reason. The send
 * is acknowledged by all in-sync replicas before the source offset is committed, so nothing is lost.
 */
import type { IHeaders, Producer } from "kafkajs";
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

export interface DeadLetterSink {
  send(sourceTopic: string, letters: readonly DeadLetter[]): Promise<void>;
}

const maxErrorHeaderBytes = 2048;

export function kafkaDeadLetterSink(
  producer: Producer,
  now: () => number = Date.now,
): DeadLetterSink {
  return {
    async send(sourceTopic, letters) {
      if (letters.length === 0) return;
      await producer.send({
        topic: deadLetterTopic(sourceTopic),
        acks: -1,
        messages: letters.map((letter) => ({
          key: letter.key,
          value: letter.value,
          headers: {
            ...letter.headers,
            [deadLetterHeaders.reason]: letter.reason,
            [deadLetterHeaders.error]: letter.error.slice(0, maxErrorHeaderBytes),
            [deadLetterHeaders.sourceTopic]: sourceTopic,
            [deadLetterHeaders.sourcePartition]: String(letter.partition),
            [deadLetterHeaders.sourceOffset]: letter.offset,
            [deadLetterHeaders.failedAt]: new Date(now()).toISOString(),
          },
        })),
      });
    },
  };
}
