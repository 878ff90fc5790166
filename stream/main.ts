/**
 * Composition root of the stream worker. STREAM_STAGES chooses what this process runs:
 *   aggregate — stage 1: RequestEvents -> partial aggregates, exactly once through Kafka transactions;
 *   evaluate  — stage 2: partial aggregates -> window state + offsets in libSQL; SLO burn rates and
 *               latency quantiles as metrics;
 *   market    — market events -> history, latest prices and subsidy programs + offsets in libSQL;
 *   alerts    — alert evaluation under a lease: alert states, groups and outbox rows in libSQL,
 *               transitions to alerts.transitions.v1 (stream/alerts/README.md);
 *   dispatch  — drains the notification outbox (webhooks, Web Push) with retries (stream/notify).
 * All five by default; each scales out on its own. SIGTERM / SIGINT finish the batch in hand, commit it,
 * leave the groups and exit 0.
 */
import { ConfigError } from "../core/config/env.ts";
import { libsqlClient } from "../core/db/database.ts";
import { topicName } from "../core/events/topics.ts";
import { createLogger } from "../core/observability/logger.ts";
import { databaseMetrics, observedDatabase } from "../platform/db/metrics.ts";
import { migrateOnStart } from "../platform/db/migrate.ts";
import { openDatabase } from "../platform/db/open.ts";
import { createKafka } from "../platform/kafka.ts";
import { exitOnFatal, onShutdown } from "../platform/lifecycle.ts";
import { headerDeadline, listen } from "../platform/serve.ts";
import { startTracing } from "../platform/tracing.ts";
import { createAggregateStage, type Stage } from "./aggregate/aggregate.consumer.ts";
import { createAlertStage } from "./alerts/alerts.stage.ts";
import { createAlertMetrics } from "./alerts/metrics.ts";
import { createAlertTracing } from "./alerts/trace.ts";
import { createTransitionRelay } from "./alerts/transitions-relay.ts";
import { loadStreamWorkerConfig } from "./config.ts";
import { createEvaluateStage } from "./evaluate/evaluate.consumer.ts";
import { createLatencyGauges } from "./evaluate/latency-gauges.ts";
import { createOwnership } from "./evaluate/ownership.ts";
import { createSloEvaluator } from "./evaluate/slo-evaluator.ts";
import { createWindowStore } from "./evaluate/window-store.ts";
import { createStreamHttpApp } from "./http/server.ts";
import { ingestRoutes } from "./ingest/ingest.route.ts";
import { createMarketStage } from "./market/market.consumer.ts";
import { createMarketStore } from "./market/market.store.ts";
import { createStreamMetrics } from "./metrics/registry.ts";
import { createDispatchStage } from "./notify/dispatch.stage.ts";
import { createExemplarStore } from "./tracing/exemplars.ts";

// Every variable and every rule across them (notification settings and the VAPID pair included) is
// checked here, before the database is opened or migrated: a bad start names them all at once.
let configs: ReturnType<typeof loadStreamWorkerConfig>;
try {
  configs = loadStreamWorkerConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
const { stream: config, notify: notifyConfig } = configs;
const logger = createLogger({ service: "gridpulse-stream", level: config.LOG_LEVEL });
exitOnFatal(logger);
const tracing = startTracing(config, { serviceName: "gridpulse-stream", logger });

const now = Date.now;
const metrics = createStreamMetrics();
const kafka = createKafka({
  brokers: config.KAFKA_BROKERS,
  clientId: config.KAFKA_CLIENT_ID,
  logger,
  logLevel: config.KAFKA_LOG_LEVEL,
});
const databaseSettings = {
  url: config.DATABASE_URL,
  authToken: config.DATABASE_AUTH_TOKEN,
  requestTimeoutMs: config.DATABASE_TIMEOUT_MS,
  keptStreams: config.DATABASE_KEPT_STREAMS,
  readPipelines: config.DATABASE_READ_PIPELINES,
};
const database = await openDatabase({
  ...databaseSettings,
  checkpointIntervalMs: config.DATABASE_CHECKPOINT_INTERVAL_MS,
  ...observedDatabase(databaseMetrics([metrics.registry]), logger),
});
if (config.DATABASE_MIGRATE_ON_START) await migrateOnStart(databaseSettings, database.db);

const requestsTopic = topicName(config.KAFKA_TOPIC_PREFIX, "requests");
const aggregatesTopic = topicName(config.KAFKA_TOPIC_PREFIX, "aggregates");
const marketTopic = topicName(config.KAFKA_TOPIC_PREFIX, "market");
const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true });
const ownership = createOwnership(aggregatesTopic);
const evaluator = createSloEvaluator({
  db: database.db,
  metrics,
  logger,
  ownership,
  now,
  intervalMs: config.STREAM_EVAL_INTERVAL_MS,
});
const latencyGauges = createLatencyGauges({
  db: database.db,
  metrics,
  logger,
  ownership,
  now,
  intervalMs: config.STREAM_LATENCY_GAUGES_INTERVAL_MS,
  topRoutes: config.STREAM_LATENCY_TOP_ROUTES,
});
const store = createWindowStore(database.db, {
  maxRoutesPerService: config.STREAM_MAX_ROUTES_PER_SERVICE,
  maxCachedBytes: config.STREAM_WINDOW_CACHE_MB * 2 ** 20,
});

/**
 * A stage whose consumer crashed for good (kafkajs will not restart it) consumes nothing any more: the
 * worker stops, with code 1, for its supervisor to start it again (set once shutdown is installed).
 */
let failWorker: (reason: string) => void = () => process.exit(1);
const onFatal = (error: Error) => {
  logger.error("a stage's consumer stopped for good; stopping the worker", { err: error });
  failWorker("a stage's consumer crashed for good");
};

const stages: Stage[] = [];
if (config.STREAM_STAGES.includes("aggregate")) {
  stages.push(
    createAggregateStage({
      kafka,
      sourceTopic: requestsTopic,
      outputTopic: aggregatesTopic,
      groupId: `${config.STREAM_CONSUMER_GROUP}-aggregate`,
      settings: () => ({
        allowedLatenessMs: config.STREAM_ALLOWED_LATENESS_MS,
        maxFutureSkewMs: config.STREAM_MAX_FUTURE_SKEW_MS,
        thresholdsMs: [
          ...new Set([...config.STREAM_LATENCY_THRESHOLDS_MS, ...evaluator.thresholds()]),
        ].sort((a, b) => a - b),
      }),
      metrics,
      logger,
      sessionTimeoutMs: config.STREAM_SESSION_TIMEOUT_MS,
      maxWaitMs: config.STREAM_MAX_WAIT_MS,
      partitionConcurrency: config.STREAM_PARTITION_CONCURRENCY,
      fetchMaxBytesPerPartition: config.STREAM_FETCH_MAX_BYTES_PER_PARTITION,
      commitIntervalMs: config.STREAM_COMMIT_INTERVAL_MS,
      commitMaxBytes: config.STREAM_COMMIT_MAX_BYTES,
      now,
      onFatal,
    }),
  );
}
const evaluating = config.STREAM_STAGES.includes("evaluate");
if (evaluating) {
  stages.push(
    createEvaluateStage({
      kafka,
      sourceTopic: aggregatesTopic,
      groupId: `${config.STREAM_CONSUMER_GROUP}-evaluate`,
      store,
      deadLetterProducer: producer,
      metrics,
      logger,
      sessionTimeoutMs: config.STREAM_SESSION_TIMEOUT_MS,
      maxWaitMs: config.STREAM_MAX_WAIT_MS,
      now,
      onFatal,
      onApplied: (services) => evaluator.markDirty(services),
      ...(tracing.enabled ? { exemplars: createExemplarStore(database.db) } : {}),
      onAssigned: (partitions) => {
        ownership.setOwned(partitions);
        evaluator.reconcileOwnership();
      },
    }),
  );
}
if (config.STREAM_STAGES.includes("market")) {
  stages.push(
    createMarketStage({
      kafka,
      sourceTopic: marketTopic,
      groupId: `${config.STREAM_CONSUMER_GROUP}-market`,
      store: createMarketStore(database.db),
      deadLetterProducer: producer,
      settings: { maxFutureMs: config.STREAM_MARKET_MAX_FUTURE_MS },
      metrics,
      logger,
      sessionTimeoutMs: config.STREAM_SESSION_TIMEOUT_MS,
      maxWaitMs: config.STREAM_MAX_WAIT_MS,
      now,
      onFatal,
    }),
  );
}
if (config.STREAM_STAGES.includes("alerts")) {
  const transitionsTopic = topicName(config.KAFKA_TOPIC_PREFIX, "alertTransitions");
  stages.push(
    createAlertStage({
      db: database.db,
      relay: createTransitionRelay({
        client: libsqlClient(database.db),
        kafka,
        topic: transitionsTopic,
        // One per transitions topic (its name carries the deployment's prefix), whatever the
        // process's consumer group: every lease holder of the deployment fences the previous one.
        transactionalId: `gridpulse-alert-transitions.${transitionsTopic}`,
        markerGroupId: `gridpulse-alert-transitions-relay.${transitionsTopic}`,
      }),
      historyRetentionMs: config.STREAM_ALERT_HISTORY_RETENTION_DAYS * 86_400_000,
      metrics: createAlertMetrics([metrics.registry]),
      logger,
      now,
      intervalMs: config.STREAM_ALERT_EVAL_INTERVAL_MS,
      leaseMs: config.STREAM_ALERT_LEASE_MS,
      shards: config.STREAM_ALERT_SHARDS,
      incremental: config.STREAM_ALERT_INCREMENTAL,
      dataLookbackMs: config.STREAM_ALERT_DATA_LOOKBACK_MS,
      ...(tracing.enabled
        ? { tracing: createAlertTracing(createExemplarStore(database.db), logger) }
        : {}),
    }),
  );
}
if (config.STREAM_STAGES.includes("dispatch")) {
  // loadStreamWorkerConfig read the notification settings (or threw) since this stage runs.
  if (!notifyConfig) throw new Error("dispatch stage without notification settings");
  stages.push(
    await createDispatchStage({
      // The worker's own settings, deadline included: without one a frozen server held the
      // dispatcher's poll (and its readiness) until the server came back.
      database: databaseSettings,
      config: notifyConfig,
      registry: metrics.registry,
      logger,
    }),
  );
}

const ingest = ingestRoutes({
  token: config.STREAM_INGEST_TOKEN,
  producer,
  topic: requestsTopic,
  metrics,
  logger,
});
const http = await listen(createStreamHttpApp({ metrics, stages, routes: [ingest] }).fetch, {
  port: config.STREAM_PORT,
  hostname: config.STREAM_HOST,
  serverOptions: headerDeadline(config.HTTP_HEADERS_TIMEOUT_MS),
});
logger.info("stream worker listening", {
  url: http.url,
  brokers: config.KAFKA_BROKERS,
  stages: config.STREAM_STAGES,
});

const pruneTimer = setInterval(() => {
  store
    .prune(now(), {
      minuteMs: config.STREAM_MINUTE_RETENTION_HOURS * 3_600_000,
      hourMs: config.STREAM_HOUR_RETENTION_DAYS * 86_400_000,
    })
    .catch((err: unknown) => logger.warn("pruning old windows failed", { err }));
}, 600_000);
pruneTimer.unref();

failWorker = onShutdown({
  logger,
  shutdown: async () => {
    clearInterval(pruneTimer);
    for (const stage of stages) await stage.stop();
    await evaluator.stop();
    await latencyGauges.stop();
    await producer.disconnect();
    await http.close();
    await tracing.shutdown();
    database.close();
  },
});

await producer.connect();
if (evaluating) {
  const admin = kafka.admin();
  await admin.connect();
  const metadata = await admin.fetchTopicMetadata({ topics: [aggregatesTopic] });
  await admin.disconnect();
  ownership.setPartitionCount(metadata.topics[0]?.partitions.length ?? 0);
  evaluator.start();
  latencyGauges.start();
} else if (config.STREAM_STAGES.includes("aggregate")) {
  // Stage 1 alone still needs the latency thresholds of SLOs: load them as the evaluator would.
  evaluator.start();
}
for (const stage of stages) await stage.start();
