/**
 * Kafka topic names (docs/architecture.md). Versioned by suffix; every topic has a dead-letter twin.
 * `KAFKA_TOPIC_PREFIX` namespaces a deployment (or a test) on a shared cluster.
 */

export const topics = {
  requests: "telemetry.requests.v1",
  market: "market.events.v1",
  aggregates: "telemetry.aggregates.v1",
  alertTransitions: "alerts.transitions.v1",
} as const;

export type TopicKey = keyof typeof topics;

export const deadLetterSuffix = ".dlq";

export function topicName(prefix: string, key: TopicKey): string {
  return `${prefix}${topics[key]}`;
}

export function deadLetterTopic(topic: string): string {
  return `${topic}${deadLetterSuffix}`;
}

/** Every topic gridpulse uses, with its dead-letter topic, under `prefix`. */
export function allTopicNames(prefix: string): string[] {
  return (Object.keys(topics) as TopicKey[]).flatMap((key) => {
    const name = topicName(prefix, key);
    return [name, deadLetterTopic(name)];
  });
}

/** Headers gridpulse puts on a dead-lettered message (the original key and value are kept as is). */
export const deadLetterHeaders = {
  error: "gridpulse-dlq-error",
  reason: "gridpulse-dlq-reason",
  sourceTopic: "gridpulse-dlq-source-topic",
  sourcePartition: "gridpulse-dlq-source-partition",
  sourceOffset: "gridpulse-dlq-source-offset",
  failedAt: "gridpulse-dlq-failed-at",
  /**
   * Only on a letter whose value was cut to fit the broker's message size limit: the original value's
   * length in bytes (the letter keeps the value's first bytes, its key and the reason).
   */
  originalValueBytes: "gridpulse-dlq-original-value-bytes",
  /** Only when the original headers alone did not fit either: how many were left out. */
  droppedHeaders: "gridpulse-dlq-dropped-headers",
} as const;
