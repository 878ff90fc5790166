/** Kafka helpers for integration tests: unique namespaces, topic setup, reading a topic to a count. */
import { randomUUID } from "node:crypto";
import type { Kafka, KafkaMessage } from "kafkajs";
import { inject } from "vitest";
import { createLogger } from "../../core/observability/logger.ts";
import { ensureTopics } from "../../dev/kafka/topics.ts";
import { createKafka, eventProducer } from "../../platform/kafka.ts";

export const brokers = (): string[] => inject("kafkaBrokers");

export function testKafka(): Kafka {
  return createKafka({
    brokers: brokers(),
    clientId: "gridpulse-test",
    logger: createLogger({ service: "test", level: "error" }),
    logLevel: "error",
  });
}

/** The number of records in `topic`: the sum of its partitions' end offsets. */
export async function topicRecords(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Produces request events, `partitions[i]` to partition i keyed by service, in sends of 2,000: the
 * share of each partition's events from fraction `from` up to fraction `to` (default: all).
 */
export async function produceEvents(
  kafka: Kafka,
  topic: string,
  partitions: { service: string }[][],
  from = 0,
  to = 1,
) {
  const producer = eventProducer(kafka);
  await producer.connect();
  for (const [partition, events] of partitions.entries()) {
    const slice = events.slice(Math.floor(events.length * from), Math.floor(events.length * to));
    for (let i = 0; i < slice.length; i += 2000) {
      await producer.send({
        topic,
        messages: slice
          .slice(i, i + 2000)
          .map((e) => ({ partition, key: e.service, value: JSON.stringify(e) })),
      });
    }
  }
  await producer.disconnect();
}

/** A topic prefix no other test uses, e.g. "t-3f2a9c1b.". */
export const uniquePrefix = () => `t-${randomUUID().slice(0, 8)}.`;

export async function createTopics(kafka: Kafka, prefix: string, partitions = 3) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, { prefix, partitions });
  } finally {
    await admin.disconnect();
  }
}

/** Reads `topic` from the beginning until `count` messages arrived (or the deadline passes). */
export function readMessages(
  kafka: Kafka,
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<KafkaMessage[]> {
  return readMessagesUntil(
    kafka,
    topic,
    (messages) => messages.length >= count,
    timeoutMs,
    `${count} messages`,
  );
}

/** Reads `topic` from the beginning until `done(messagesSoFar)` holds (or the deadline passes). */
export async function readMessagesUntil(
  kafka: Kafka,
  topic: string,
  done: (messages: KafkaMessage[]) => boolean,
  timeoutMs = 30_000,
  what = "the expected messages",
): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}` });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `read ${messages.length} messages from ${topic} in ${timeoutMs} ms, not ${what}`,
            ),
          ),
        timeoutMs,
      );
      void consumer.run({
        eachMessage: async ({ message }) => {
          messages.push(message);
          if (done(messages)) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

/** Sum of the committed offsets of `groupId` on `topic` (the number of messages it has consumed). */
export async function committedCount(
  kafka: Kafka,
  groupId: string,
  topic: string,
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Reads `topic` until `count` messages arrived and then `settleMs` passes without another one: the
 * exact number of (committed) messages, not just a lower bound.
 */
export async function countMessagesExactly(
  kafka: Kafka,
  topic: string,
  count: number,
  settleMs = 2000,
  timeoutMs = 60_000,
) {
  const consumer = kafka.consumer({ groupId: `counter-${randomUUID()}` });
  let seen = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        seen += batch.messages.length;
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (seen < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, settleMs));
    return seen;
  } finally {
    await consumer.disconnect();
  }
}
