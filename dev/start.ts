/**
 * `npm start`: the whole of gridpulse on one machine with no configuration. Applies migrations to the
 * database (embedded file by default), provisions the local Kafka broker and its topics unless
 * KAFKA_BROKERS names a cluster, starts the API and the stream worker as child processes, waits until
 * both are ready and prints their URLs. Ctrl-C (or SIGTERM) stops all of it, the broker last.
 */
import { type ChildProcess, fork } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../core/config/env.ts";
import { applyMigrations } from "../core/db/migrate.node.ts";
import { openDatabase } from "../core/db/open.node.ts";
import { createKafka } from "../core/kafka/kafka.node.ts";
import { createLogger, redactUrlCredentials } from "../core/observability/logger.ts";
import { logProcessWarnings } from "../core/runtime/lifecycle.node.ts";
import { loadStackConfig, type StackState, stackStateFile } from "./config.ts";
import { type KafkaBroker, startKafkaBroker } from "./kafka/broker.ts";
import { ensureTopics } from "./kafka/topics.ts";
import { waitFor } from "./net.ts";
import { nodeFlags } from "./node-flags.ts";
import { startLocalTracing } from "./zipkin/server.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

const startedAt = performance.now();

let config: ReturnType<typeof loadStackConfig>;
try {
  config = loadStackConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}
const logger = createLogger({ service: "gridpulse-launcher", level: config.LOG_LEVEL });
logProcessWarnings(logger);

const children: { name: string; proc: ChildProcess }[] = [];
let broker: KafkaBroker | undefined;
let tracing: Awaited<ReturnType<typeof startLocalTracing>> | undefined;
let stopping = false;

async function stopAll(exitCode: number, reason: string): Promise<never> {
  if (stopping) process.exit(exitCode);
  stopping = true;
  logger.info("stopping gridpulse", { reason });
  await Promise.all(children.map(({ name, proc }) => stopChild(name, proc)));
  if (broker)
    await broker.stop().catch((err: unknown) => logger.error("broker stop failed", { err }));
  await tracing?.stop().catch((err: unknown) => logger.error("zipkin stop failed", { err }));
  rmSync(stackStateFile(config.GRIDPULSE_DATA_DIR), { force: true });
  logger.info("gridpulse stopped");
  process.exit(exitCode);
}

async function stopChild(name: string, proc: ChildProcess) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((done) => proc.once("exit", () => done()));
  proc.kill("SIGTERM");
  const timer = setTimeout(() => {
    logger.warn("child did not stop in time; killing it", { name });
    proc.kill("SIGKILL");
  }, 35_000);
  await exited;
  clearTimeout(timer);
}

process.on("SIGINT", () => void stopAll(0, "SIGINT"));
process.on("SIGTERM", () => void stopAll(0, "SIGTERM"));

try {
  const dbStarted = performance.now();
  const database = await openDatabase({
    url: config.DATABASE_URL,
    authToken: config.DATABASE_AUTH_TOKEN,
  });
  await applyMigrations(database.db);
  database.close();
  logger.info("database migrated", {
    url: config.DATABASE_URL,
    durationMs: Math.round(performance.now() - dbStarted),
  });

  let brokers = config.KAFKA_BROKERS;
  if (!brokers) {
    broker = await startKafkaBroker({
      dataDir: join(config.GRIDPULSE_DATA_DIR, "kafka"),
      port: config.KAFKA_LOCAL_PORT,
      heapMb: config.KAFKA_HEAP_MB,
      logger,
    });
    brokers = broker.brokers;
    const admin = createKafka({
      brokers,
      clientId: "gridpulse-launcher",
      logger,
      logLevel: "error",
    }).admin();
    await admin.connect();
    const created = await ensureTopics(admin, {
      prefix: config.KAFKA_TOPIC_PREFIX,
      partitions: config.KAFKA_PARTITIONS,
    });
    await admin.disconnect();
    if (created.length > 0)
      logger.info("kafka topics created", { topics: created, partitions: config.KAFKA_PARTITIONS });
  }

  tracing = await startLocalTracing({
    enabled: config.GRIDPULSE_ZIPKIN || process.argv.includes("--zipkin"),
    port: config.ZIPKIN_LOCAL_PORT,
    logDir: config.GRIDPULSE_DATA_DIR,
    logger,
  });
  const env = {
    ...process.env,
    ...tracing.env,
    PORT: String(config.PORT),
    STREAM_PORT: String(config.STREAM_PORT),
    API_METRICS_PORT: String(config.API_METRICS_PORT),
    DATABASE_URL: config.DATABASE_URL,
    KAFKA_BROKERS: brokers.join(","),
    KAFKA_TOPIC_PREFIX: config.KAFKA_TOPIC_PREFIX,
    DATABASE_MIGRATE_ON_START: "false",
  };
  for (const [name, file] of [
    ["api", "api/node.ts"],
    ["stream", "stream/main.ts"],
  ] as const) {
    // Own process group: a terminal Ctrl-C reaches only the launcher, which stops the services in
    // order; if the launcher dies, the services see their IPC channel close and stop themselves.
    const proc = fork(join(root, file), [], {
      env,
      stdio: "inherit",
      detached: true,
      execArgv: nodeFlags,
    });
    children.push({ name, proc });
    proc.once("exit", (code, signal) => {
      if (!stopping)
        void stopAll(1, `${name} exited unexpectedly (code ${code}, signal ${signal})`);
    });
  }

  const apiUrl = `http://127.0.0.1:${config.PORT}`;
  const streamUrl = `http://127.0.0.1:${config.STREAM_PORT}`;
  await Promise.all(
    [apiUrl, streamUrl].map((url) =>
      waitFor(`${url}/health/ready`, async () => (await fetch(`${url}/health/ready`)).ok, {
        timeoutMs: 120_000,
        intervalMs: 100,
      }),
    ),
  );
  const state: StackState = {
    brokers,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    apiUrl,
    streamUrl,
    pid: process.pid,
  };
  writeFileSync(stackStateFile(config.GRIDPULSE_DATA_DIR), JSON.stringify(state, null, 2));

  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  console.log(
    [
      "",
      `gridpulse is ready (${seconds} s)`,
      `  API            ${apiUrl}      health: ${apiUrl}/health/ready   docs: ${apiUrl}/docs`,
      `  API metrics    http://127.0.0.1:${config.API_METRICS_PORT}/metrics`,
      `  stream worker  ${streamUrl}      metrics: ${streamUrl}/metrics`,
      `  kafka          ${brokers.join(",")}${broker ? `  (local broker, data in ${broker.dataDir})` : ""}`,
      `  database       ${redactUrlCredentials(config.DATABASE_URL)}`,
      ...tracing.summary,
      "  traffic        npm run loadgen -- --rate 500 --duration 60",
      '  API key        npm run tenant:create -- --name "My tenant"',
      "Ctrl-C stops everything.",
      "",
    ].join("\n"),
  );
} catch (error) {
  logger.error("gridpulse failed to start", { err: error });
  await stopAll(1, "start failed");
}
