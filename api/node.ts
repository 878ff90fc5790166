/**
 * Node entry point of the API: validated settings, the embedded (or remote) database, migrations,
 * the Kafka telemetry sink (when KAFKA_BROKERS is set), Prometheus metrics on their own port, then
 * the same Hono app that runs on Workers.
 */

import { Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { createSummaryCache } from "../core/benchmark/benchmark.ts";
import { marketPrices } from "../core/db/schema/index.ts";
import { topicName } from "../core/events/topics.ts";
import { createLogger } from "../core/observability/logger.ts";
import { tokenBucketLimiter } from "../core/ratelimit/token-bucket.ts";
import { hashApiKeyNode } from "../platform/api-key-hash.ts";
import { observedDatabase } from "../platform/db/metrics.ts";
import { migrateOnStart } from "../platform/db/migrate.ts";
import { openDatabase } from "../platform/db/open.ts";
import { createKafka } from "../platform/kafka.ts";
import { exitOnFatal, onShutdown } from "../platform/lifecycle.ts";
import { headerDeadline, listen } from "../platform/serve.ts";
import { startTracing } from "../platform/tracing.ts";
import { createApp } from "./app.ts";
import { createAuthCache } from "./auth/auth-cache.ts";
import { loadApiConfig } from "./config.ts";
import { scalarBundle } from "./openapi/scalar.node.ts";
import { keptRawInflate } from "./platform/kept-zlib.ts";
import { assessmentWorkers } from "./platform/node/assessment-workers.ts";
import { jsonClientErrors } from "./platform/node/client-errors.ts";
import { type KafkaTelemetrySink, kafkaTelemetry } from "./platform/node/kafka-telemetry.ts";
import { bufferedStdoutWriter } from "./platform/node/log-writer.ts";
import { createApiMetrics, exposition } from "./platform/node/metrics.ts";
import { type NodeBindings, settleUnreadBodies } from "./platform/node/unread-body.ts";
import { noTelemetry } from "./telemetry/telemetry-sink.ts";
import { version } from "./version.ts";

const config = loadApiConfig(process.env);

/** Waits for `promise` at most `ms` (a client's disconnect must not hold the shutdown). */
const withDeadline = (promise: Promise<unknown>, ms: number) =>
  new Promise<void>((done) => {
    const timer = setTimeout(done, ms);
    void promise
      .catch(() => {})
      .finally(() => {
        clearTimeout(timer);
        done();
      });
  });
const logger = createLogger({
  service: "gridpulse-api",
  level: config.LOG_LEVEL,
  writer: bufferedStdoutWriter(),
});
exitOnFatal(logger);
const tracing = startTracing(config, { serviceName: "gridpulse-api", logger });

const databaseSettings = {
  url: config.DATABASE_URL,
  authToken: config.DATABASE_AUTH_TOKEN,
  busyTimeoutMs: config.DATABASE_BUSY_TIMEOUT_MS,
  readCacheTtlMs: config.MARKET_PRICE_CACHE_TTL_MS,
  requestTimeoutMs: config.DATABASE_TIMEOUT_MS,
  keptStreams: config.DATABASE_KEPT_STREAMS,
  readPipelines: config.DATABASE_READ_PIPELINES,
};
let telemetry: KafkaTelemetrySink | undefined;
const metrics = createApiMetrics({
  marketPrices: () => db.select().from(marketPrices).all(),
  telemetryBuffered: () => telemetry?.buffered(),
  exemplars: tracing.enabled,
});
const { db, embedded, close } = await openDatabase({
  ...databaseSettings,
  checkpointIntervalMs: config.DATABASE_CHECKPOINT_INTERVAL_MS,
  ...observedDatabase(metrics.database, logger),
});
if (config.DATABASE_MIGRATE_ON_START) await migrateOnStart(databaseSettings, db);

let stopProducer = async () => {};
if (config.KAFKA_BROKERS) {
  const kafka = createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: "gridpulse-api",
    logger,
    logLevel: "error",
  });
  // Idempotent, retrying without limit (at most 5 s apart): while the broker is away the batch in
  // flight is resent as is, and the broker discards a copy it had already written.
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
    retry: { initialRetryTime: 250, maxRetryTime: 5000 },
  });
  // Connect in the background, again and again until it succeeds: the API serves requests (and
  // buffers their telemetry) even while Kafka is unreachable at start.
  let connecting = true;
  void (async () => {
    for (let attempt = 1; connecting; attempt++) {
      try {
        await producer.connect();
        logger.info("telemetry producer connected", { attempts: attempt });
        return;
      } catch (err) {
        if (attempt === 1)
          logger.warn("telemetry producer could not connect yet; retrying", { err });
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)).unref());
      }
    }
  })();
  telemetry = kafkaTelemetry({
    producer,
    topic: topicName(config.KAFKA_TOPIC_PREFIX, "requests"),
    logger,
    recorded: (n) => metrics.telemetryRecorded.inc(n),
    count: (outcome, n) => metrics.telemetry.inc({ outcome }, n),
    maxBufferBytes: config.API_TELEMETRY_BUFFER_BYTES,
  });
  stopProducer = () => {
    connecting = false;
    return withDeadline(producer.disconnect(), 2000);
  };
} else {
  logger.info("KAFKA_BROKERS not set: the API's request telemetry is off");
}

const assessor =
  config.ASSESSMENT_WORKER_THREADS > 0
    ? assessmentWorkers(logger, config.ASSESSMENT_WORKER_THREADS)
    : undefined;
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
  clientAddress: (c) => (c.env as Partial<NodeBindings>).incoming?.socket.remoteAddress,
  telemetry: () => telemetry ?? noTelemetry,
  metrics: metrics.requestMetrics,
  authCache: createAuthCache(config.AUTH_CACHE_TTL_MS),
  benchmarkCache: createSummaryCache(config.BENCHMARK_CACHE_TTL_MS),
  hashApiKey: hashApiKeyNode,
  rawInflate: keptRawInflate(),
  compressResponses: true,
  docsBundle: scalarBundle(),
  ...(assessor ? { assessor } : {}),
  tracing: tracing.enabled,
  ...(embedded ? { databaseWritable: (ms: number) => embedded.probeWrite(ms) } : {}),
});
// A first POST right after the start need not wait for a worker to load the engine.
await assessor?.ready(10_000);
const server = await listen(
  settleUnreadBodies(app.fetch, {
    drainMaxBytes: config.BODY_LIMIT_BYTES,
    drainTimeoutMs: 10_000,
    lingerMs: 2000,
    count: (outcome) => metrics.unreadBodies.inc({ outcome }),
  }),
  {
    port: config.PORT,
    hostname: config.HOST,
    autoCleanupIncoming: false,
    serverOptions: headerDeadline(config.HTTP_HEADERS_TIMEOUT_MS),
    configure: (http) =>
      jsonClientErrors(http, {
        lingerMs: 2000,
        count: (code) => metrics.clientErrors.inc({ code }),
      }),
  },
);

const metricsApp = new Hono();
if (config.METRICS_TOKEN) metricsApp.use(bearerAuth({ token: config.METRICS_TOKEN }));
// Prometheus' text format unless the scrape asks for OpenMetrics (which carries the exemplars).
metricsApp.get("/metrics", async (c) => {
  const { contentType, body } = await exposition(metrics.registry, c.req.header("Accept"));
  return c.body(body, 200, { "Content-Type": contentType });
});
const metricsServer = await listen(metricsApp.fetch, {
  port: config.API_METRICS_PORT,
  hostname: config.API_METRICS_HOST,
});
logger.info("api listening", {
  url: server.url,
  metrics: `${metricsServer.url}/metrics`,
  database: config.DATABASE_URL,
});

// Stops taking requests (open keep-alive connections are closed once their response is written,
// and at the latest after 3 s), then flushes telemetry for a bounded time: a few seconds in all,
// even with Kafka down.
onShutdown({
  logger,
  shutdown: async () => {
    await server.close();
    await telemetry?.stop(config.API_TELEMETRY_FLUSH_TIMEOUT_MS);
    await stopProducer();
    await metricsServer.close();
    await assessor?.close();
    await tracing.shutdown();
    close();
  },
});
