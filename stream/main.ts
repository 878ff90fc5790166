/**
 * Composition root of the stream worker: settings, Kafka clients, metrics, the request-telemetry
 * consumer with its dead-letter sink, and the HTTP surface. SIGTERM / SIGINT finish the batch in hand,
 * commit it, leave the group and exit 0.
 */
import { topicName } from "../core/events/topics.ts";
import { createKafka } from "../core/kafka/kafka.node.ts";
import { createLogger } from "../core/observability/logger.ts";
import { exitOnFatal, onShutdown } from "../core/runtime/lifecycle.node.ts";
import { listen } from "../core/runtime/serve.node.ts";
import { loadStreamConfig } from "./config.ts";
import { kafkaDeadLetterSink } from "./dlq/dead-letter.sink.ts";
import { createStreamHttpApp } from "./http/server.ts";
import { ingestRoutes } from "./ingest/ingest.route.ts";
import { createStreamMetrics } from "./metrics/registry.ts";
import { createRequestEventsConsumer } from "./requests/request-events.consumer.ts";

const config = loadStreamConfig(process.env);
const logger = createLogger({ service: "gridpulse-stream", level: config.LOG_LEVEL });
exitOnFatal(logger);

const metrics = createStreamMetrics();
const kafka = createKafka({
  brokers: config.KAFKA_BROKERS,
  clientId: config.KAFKA_CLIENT_ID,
  logger,
  logLevel: config.KAFKA_LOG_LEVEL,
});
const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true });
const requests = createRequestEventsConsumer({
  kafka,
  topic: topicName(config.KAFKA_TOPIC_PREFIX, "requests"),
  groupId: config.STREAM_CONSUMER_GROUP,
  deadLetters: kafkaDeadLetterSink(producer),
  sinks: [],
  metrics,
  logger,
  sessionTimeoutMs: config.STREAM_SESSION_TIMEOUT_MS,
});

const ingest = ingestRoutes({
  token: config.STREAM_INGEST_TOKEN,
  producer,
  topic: topicName(config.KAFKA_TOPIC_PREFIX, "requests"),
  metrics,
  logger,
});
const http = await listen(
  createStreamHttpApp({ metrics, consumers: { requests }, routes: [ingest] }).fetch,
  {
    port: config.STREAM_PORT,
    hostname: config.STREAM_HOST,
  },
);
logger.info("stream worker listening", { url: http.url, brokers: config.KAFKA_BROKERS });

onShutdown({
  logger,
  shutdown: async () => {
    await requests.stop();
    await producer.disconnect();
    await http.close();
  },
});

await producer.connect();
await requests.start();
