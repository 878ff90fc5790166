/**
 * Node entry point of the API: validated settings, the embedded (or remote) database, migrations,
 * the Kafka telemetry sink (when KAFKA_BROKERS is set), Prometheus metrics on their own port, then
 * the same Hono app that runs on Workers.
 */

import { Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { hashApiKeyNode } from "../core/auth/api-keys.node.ts";
import { createSummaryCache } from "../core/benchmark/benchmark.ts";
import { applyMigrations } from "../core/db/migrate.node.ts";
import { openDatabase } from "../core/db/open.node.ts";
import { marketPrices } from "../core/db/schema/index.ts";
import { topicName } from "../core/events/topics.ts";
import { createKafka } from "../core/kafka/kafka.node.ts";
import { createLogger } from "../core/observability/logger.ts";
import { tokenBucketLimiter } from "../core/ratelimit/token-bucket.ts";
import { exitOnFatal, onShutdown } from "../core/runtime/lifecycle.node.ts";
import { listen } from "../core/runtime/serve.node.ts";
import { createApp } from "./app.ts";
import { createAuthCache } from "./auth/auth-cache.ts";
import { loadApiConfig } from "./config.ts";
import { scalarBundle } from "./openapi/scalar.node.ts";
import { workerBodyCodec } from "./platform/node/body-codec.ts";
import { kafkaTelemetry } from "./platform/node/kafka-telemetry.ts";
import { bufferedStdoutWriter } from "./platform/node/log-writer.ts";
import { createApiMetrics } from "./platform/node/metrics.ts";
import { noTelemetry } from "./telemetry/telemetry-sink.ts";
import { version } from "./version.ts";

const config = loadApiConfig(process.env);
const logger = createLogger({
  service: "gridpulse-api",
  level: config.LOG_LEVEL,
  writer: bufferedStdoutWriter(),
});
exitOnFatal(logger);

const { db, embedded, close } = await openDatabase({
  url: config.DATABASE_URL,
  authToken: config.DATABASE_AUTH_TOKEN,
  busyTimeoutMs: config.DATABASE_BUSY_TIMEOUT_MS,
  readCacheTtlMs: config.MARKET_PRICE_CACHE_TTL_MS,
});
if (config.DATABASE_MIGRATE_ON_START) await applyMigrations(db);

const metrics = createApiMetrics({
  marketPrices: () => db.select().from(marketPrices).all(),
});
let telemetry: ReturnType<typeof kafkaTelemetry> | undefined;
let stopProducer = async () => {};
if (config.KAFKA_BROKERS) {
  const kafka = createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: "gridpulse-api",
    logger,
    logLevel: "error",
  });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  // Connect in the background: the API serves requests even while Kafka is unreachable.
  producer
    .connect()
    .catch((err: unknown) => logger.warn("telemetry producer could not connect yet", { err }));
  telemetry = kafkaTelemetry({
    producer,
    topic: topicName(config.KAFKA_TOPIC_PREFIX, "requests"),
    logger,
    count: (outcome, n) => metrics.telemetry.inc({ outcome }, n),
  });
  stopProducer = () => producer.disconnect();
} else {
  logger.info("KAFKA_BROKERS not set: the API's request telemetry is off");
}

const bodyCodec = workerBodyCodec(logger);
const limiter = tokenBucketLimiter({
  ratePerS: config.RATE_LIMIT_PER_S,
  burst: config.RATE_LIMIT_BURST,
  now: Date.now,
});
const app = createApp({
  settings: config,
  database: () => db,
  logger,
  now: Date.now,
  version,
  rateLimiter: () => limiter,
  telemetry: () => telemetry ?? noTelemetry,
  metrics: metrics.requestMetrics,
  authCache: createAuthCache(config.AUTH_CACHE_TTL_MS),
  benchmarkCache: createSummaryCache(config.BENCHMARK_CACHE_TTL_MS),
  hashApiKey: hashApiKeyNode,
  compressResponses: true,
  docsBundle: scalarBundle(),
  bodyCodec,
  ...(embedded ? { databaseWritable: (ms: number) => embedded.probeWrite(ms) } : {}),
});
const server = await listen(app.fetch, { port: config.PORT, hostname: config.HOST });

const metricsApp = new Hono();
if (config.METRICS_TOKEN) metricsApp.use(bearerAuth({ token: config.METRICS_TOKEN }));
metricsApp.get("/metrics", async (c) =>
  c.body(await metrics.registry.metrics(), 200, { "Content-Type": metrics.registry.contentType }),
);
const metricsServer = await listen(metricsApp.fetch, {
  port: config.API_METRICS_PORT,
  hostname: config.API_METRICS_HOST,
});
logger.info("api listening", {
  url: server.url,
  metrics: `${metricsServer.url}/metrics`,
  database: config.DATABASE_URL,
});

onShutdown({
  logger,
  shutdown: async () => {
    await server.close();
    await telemetry?.stop();
    await stopProducer();
    await metricsServer.close();
    await bodyCodec.close();
    close();
  },
});
