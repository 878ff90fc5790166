/**
 * Node-only: the one place that builds kafkajs clients, so every process talks to Kafka with the same
 * settings and logs through gridpulse's structured logger.
 */
import {
  Kafka,
  type KafkaConfig,
  type LogEntry,
  logLevel,
  type Producer,
  type ProducerConfig,
} from "kafkajs";
import type { Logger } from "../core/observability/logger.ts";

// Partitioning stays the kafkajs v2 default (murmur2, same as the Java client); the warning about
// the v1 change is noise for a project that never used v1.
process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

export type KafkaLogLevel = "debug" | "info" | "warn" | "error" | "silent";

const toKafkaLevel: Record<KafkaLogLevel, logLevel> = {
  debug: logLevel.DEBUG,
  info: logLevel.INFO,
  warn: logLevel.WARN,
  error: logLevel.ERROR,
  silent: logLevel.NOTHING,
};

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  logLevel?: KafkaLogLevel;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/** kafkajs' text for CONCURRENT_TRANSACTIONS (error code 51), a retriable answer. */
const concurrentTransactions = /another concurrent operation on the same transaction/;

export function createKafka(options: KafkaClientOptions): Kafka {
  const logger = options.logger.child({ component: "kafkajs" });
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    logLevel: toKafkaLevel[options.logLevel ?? "warn"],
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, timestamp: _ts, logger: _name, ...fields } = log;
        // A transaction begun while the broker still writes the previous one's markers is answered
        // CONCURRENT_TRANSACTIONS and retried within milliseconds (stage 1 meets it on most batches):
        // kafkajs logs each such answer as an error; it is routine, so it is logged at debug.
        // (The producer's send names it in its message: "Failed to send messages: …".)
        if (concurrentTransactions.test(`${message} ${String(fields.error ?? "")}`))
          logger.debug(message, fields);
        else if (level === logLevel.ERROR) logger.error(message, fields);
        else if (level === logLevel.WARN) logger.warn(message, fields);
        else if (level === logLevel.INFO) logger.info(message, fields);
        else logger.debug(message, fields);
      },
  };
  return new Kafka(config);
}

/**
 * A producer of events that are counted downstream: idempotent, so a send kafkajs retries after a
 * partial failure (a partition's leader still being elected right after its topic was created answers
 * NOT_LEADER, and kafkajs resends the whole request, partitions already written included) is never
 * written twice. Used by the load generator, the benches and the tests.
 */
export function eventProducer(kafka: Kafka, config: ProducerConfig = {}): Producer {
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, ...config });
}
