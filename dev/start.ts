/**
 * `npm start`: the whole of gridpulse on one machine with no configuration. Applies migrations to the
 * database (embedded file by default), provisions the local Kafka broker and its topics unless
 * KAFKA_BROKERS names a cluster, starts the API and the stream worker as child processes, waits until
 * both are ready and prints their URLs.
 *
 * It then supervises them: a process that dies (the broker included) is restarted after an
 * exponential backoff (restart-policy.ts), with a log line per restart; the services wait for a
 * restarting broker to serve again. Too many fast crashes in a row stop the stack with a message.
 * Ctrl-C (or SIGTERM) stops everything in order within a few seconds: the API first (it stops taking
 * requests and flushes its telemetry), then the stream worker (it commits the batch in hand), then
 * the broker.
 */
import { type ChildProcess, fork } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../core/config/env.ts";
import { libsqlClient } from "../core/db/database.ts";
import { createLogger, redactUrlCredentials } from "../core/observability/logger.ts";
import { applyMigrations } from "../platform/db/migrate.ts";
import { openDatabase } from "../platform/db/open.ts";
import { createKafka } from "../platform/kafka.ts";
import { logProcessWarnings } from "../platform/lifecycle.ts";
import { loadStackConfig, type StackState, stackStateFile } from "./config.ts";
import { type KafkaBroker, startKafkaBroker } from "./kafka/broker.ts";
import { ensureTopics } from "./kafka/topics.ts";
import { waitFor } from "./net.ts";
import { nodeFlagsFor } from "./node-flags.ts";
import { type RestartTracker, restartTracker } from "./restart-policy.ts";
import { referenceStockHomes, seedStock, stockSummary } from "./seed/run.ts";
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

const policy = {
  initialMs: config.LAUNCHER_RESTART_BACKOFF_MS,
  maxMs: config.LAUNCHER_RESTART_BACKOFF_MAX_MS,
  stableMs: config.LAUNCHER_RESTART_STABLE_MS,
  maxCrashes: config.LAUNCHER_RESTART_MAX_CRASHES,
};

/** One supervised process: its current run (if any) and how to start and stop a new one. */
interface Supervised {
  name: string;
  tracker: RestartTracker;
  /** Resolves with a description of how the current run ended. */
  exited?: Promise<string>;
  stop?: () => Promise<void>;
  /** A pending start or backoff wait, so a shutdown does not race a restart. */
  starting?: Promise<unknown>;
}

const services: Supervised[] = [];
let brokerProcess: Supervised | undefined;
let broker: KafkaBroker | undefined;
/** Resolves while the broker serves (or when no local broker is managed); replaced while it is down. */
let brokerServing: Promise<void> = Promise.resolve();
let markBrokerServing = () => {};
let brokerUp = true;
let tracing: Awaited<ReturnType<typeof startLocalTracing>> | undefined;
let stopping = false;
let onStopRequested: () => void = () => {};
const stopped = new Promise<void>((resolve) => {
  onStopRequested = resolve;
});

const sleep = (ms: number) =>
  new Promise<void>((done) => {
    const timer = setTimeout(done, ms);
    void stopped.then(() => {
      clearTimeout(timer);
      done();
    });
  });

async function stopAll(exitCode: number, reason: string): Promise<never> {
  if (stopping) {
    logger.warn("second stop request; exiting now", { reason });
    process.exit(exitCode || 1);
  }
  stopping = true;
  onStopRequested();
  const began = performance.now();
  logger.info("stopping gridpulse", { reason });
  // In order: the API stops taking requests and flushes telemetry while the broker still runs; the
  // stream worker commits its batch; the broker goes last.
  for (const supervised of [...services, ...(brokerProcess ? [brokerProcess] : [])]) {
    const stopStarted = performance.now();
    await withDeadline(supervised.starting, 5000);
    await supervised.stop?.().catch((err: unknown) => {
      logger.error("stop failed", { name: supervised.name, err });
    });
    logger.info(`stopped ${supervised.name}`, {
      durationMs: Math.round(performance.now() - stopStarted),
    });
  }
  await tracing?.stop().catch((err: unknown) => logger.error("zipkin stop failed", { err }));
  rmSync(stackStateFile(config.GRIDPULSE_DATA_DIR), { force: true });
  logger.info("gridpulse stopped", { durationMs: Math.round(performance.now() - began) });
  process.exit(exitCode);
}

async function withDeadline(promise: Promise<unknown> | undefined, ms: number) {
  if (!promise) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.catch(() => {}),
    new Promise((done) => {
      timer = setTimeout(done, ms);
    }),
  ]);
  clearTimeout(timer);
}

async function seedIfEmpty(database: Awaited<ReturnType<typeof openDatabase>>) {
  const client = libsqlClient(database.db);
  const count = config.GRIDPULSE_SEED_HOMES;
  if (count === 0 || (await referenceStockHomes(client)) > 0) return;
  const workers = Math.max(1, Math.min(4, availableParallelism()));
  logger.info("seeding the reference stock for benchmarks (first start)", {
    homes: count,
    workers,
  });
  let logged = 0;
  const seconds = await seedStock(client, {
    count,
    seed: 1,
    workers,
    transaction: 10_000,
    onProgress: (stored, s) => {
      if (s - logged < 5) return;
      logged = s;
      logger.info("seeding the reference stock", {
        stored,
        of: count,
        homesPerSecond: Math.round(stored / s),
      });
    },
  });
  const summary = await stockSummary(client);
  logger.info("reference stock seeded", {
    homes: summary.homes,
    seconds: Math.round(seconds * 10) / 10,
    classesEtoHPct: Math.round(summary.sharesPct.EH * 10) / 10,
    classesCtoDPct: Math.round(summary.sharesPct.CD * 10) / 10,
    classesAtoBPct: Math.round(summary.sharesPct.AB * 10) / 10,
  });
}

process.on("SIGINT", () => void stopAll(0, "SIGINT"));
process.on("SIGTERM", () => void stopAll(0, "SIGTERM"));

/** Forks a service; `exited` describes how it ended, `stop` is SIGTERM then SIGKILL after a while. */
function forkService(file: string, env: NodeJS.ProcessEnv) {
  // Own process group: a terminal Ctrl-C reaches only the launcher, which stops the services in
  // order; if the launcher dies, the services see their IPC channel close and stop themselves.
  const proc: ChildProcess = fork(join(root, file), [], {
    env,
    stdio: "inherit",
    detached: true,
    execArgv: nodeFlagsFor(file),
  });
  const exited = new Promise<string>((done) =>
    proc.once("exit", (code, signal) => done(signal ? `signal ${signal}` : `exit code ${code}`)),
  );
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGTERM");
    const timer = setTimeout(() => {
      logger.warn("process did not stop in time; killing it", {
        file,
        timeoutMs: config.LAUNCHER_STOP_TIMEOUT_MS,
      });
      proc.kill("SIGKILL");
    }, config.LAUNCHER_STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };
  return { pid: proc.pid, exited, stop };
}

/**
 * Watches a supervised process from its first run on: when a run ends while the stack is not
 * stopping, logs it and restarts after the policy's delay (or stops the stack).
 */
async function supervise(supervised: Supervised, start: () => Promise<void>) {
  while (!stopping) {
    const how = await supervised.exited;
    if (stopping) return;
    supervised.exited = undefined;
    supervised.stop = undefined;
    const decision = supervised.tracker.crashed();
    if (decision.action === "give_up") {
      logger.error(`${supervised.name} keeps crashing; giving up`, {
        name: supervised.name,
        how,
        crashes: decision.crashes,
        withinMs: policy.stableMs,
      });
      void stopAll(
        1,
        `${supervised.name} crashed ${decision.crashes} times in a row, each within ${policy.stableMs} ms of its start (last: ${how})`,
      );
      return;
    }
    logger.warn(`${supervised.name} exited unexpectedly; restarting`, {
      name: supervised.name,
      how,
      uptimeMs: decision.uptimeMs,
      restart: decision.crashes,
      delayMs: decision.delayMs,
    });
    supervised.starting = (async () => {
      await sleep(decision.delayMs);
      if (supervised !== brokerProcess) await Promise.race([brokerServing, stopped]);
      if (stopping) return;
      try {
        await start();
        supervised.tracker.started();
        logger.info(`${supervised.name} restarted`, {
          name: supervised.name,
          restart: decision.crashes,
        });
      } catch (err) {
        // A failed start counts as the next crash of the series.
        logger.error(`${supervised.name} failed to restart`, { name: supervised.name, err });
        supervised.exited = Promise.resolve(`failed to start: ${(err as Error).message}`);
      }
    })();
    await supervised.starting;
    supervised.starting = undefined;
  }
}

/**
 * Restarts a running service whose readiness has failed for LAUNCHER_UNREADY_RESTART_MS while the
 * broker serves: its exit then goes through the same restart (and give-up) path as a crash.
 */
function watchReadiness(targets: [Supervised, string][]) {
  const unreadySince = new Map<Supervised, number>();
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    for (const [supervised, url] of targets) {
      if (stopping || !supervised.stop || supervised.starting || !brokerUp) {
        unreadySince.delete(supervised);
        continue;
      }
      const ok = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) })
        .then((res) => res.ok)
        .catch(() => false);
      if (ok) {
        unreadySince.delete(supervised);
        continue;
      }
      const since = unreadySince.get(supervised) ?? Date.now();
      unreadySince.set(supervised, since);
      if (Date.now() - since >= config.LAUNCHER_UNREADY_RESTART_MS) {
        unreadySince.delete(supervised);
        logger.warn(`${supervised.name} not ready for too long; restarting it`, {
          name: supervised.name,
          unreadyMs: Date.now() - since,
        });
        void supervised.stop();
      }
    }
    busy = false;
  }, 1000);
  timer.unref();
}

try {
  const dbStarted = performance.now();
  const database = await openDatabase({
    url: config.DATABASE_URL,
    authToken: config.DATABASE_AUTH_TOKEN,
  });
  await applyMigrations(database.db);
  logger.info("database migrated", {
    url: config.DATABASE_URL,
    durationMs: Math.round(performance.now() - dbStarted),
  });
  // Benchmarks answer out of the box: an empty reference stock gets a default synthetic one, seeded
  // while the broker starts (the services start once it is stored).
  const seeding = seedIfEmpty(database).finally(() => database.close());
  seeding.catch(() => {}); // awaited below; this only keeps an early failure elsewhere from masking it

  let brokers = config.KAFKA_BROKERS;
  if (!brokers) {
    const supervised: Supervised = { name: "kafka broker", tracker: restartTracker(policy) };
    brokerProcess = supervised;
    const startBroker = async () => {
      const started = await startKafkaBroker({
        dataDir: join(config.GRIDPULSE_DATA_DIR, "kafka"),
        port: config.KAFKA_LOCAL_PORT,
        heapMb: config.KAFKA_HEAP_MB,
        logger,
      });
      broker = started;
      supervised.stop = () => started.stop(config.LAUNCHER_STOP_TIMEOUT_MS);
      supervised.exited = started.exited.then((code) => {
        // The services hold their restarts until the broker serves again.
        brokerUp = false;
        brokerServing = new Promise((resolve) => {
          markBrokerServing = resolve;
        });
        return code === null ? "killed by a signal" : `exit code ${code}`;
      });
      brokerUp = true;
      markBrokerServing();
    };
    await startBroker();
    brokers = (broker as unknown as KafkaBroker).brokers;
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
    void supervise(supervised, startBroker);
  }

  tracing = await startLocalTracing({
    enabled: config.GRIDPULSE_ZIPKIN || process.argv.includes("--zipkin"),
    port: config.ZIPKIN_LOCAL_PORT,
    logDir: config.GRIDPULSE_DATA_DIR,
    logger,
  });
  await seeding;

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
    const supervised: Supervised = { name, tracker: restartTracker(policy) };
    const start = async () => {
      const child = forkService(file, env);
      logger.info(`${name} started`, { name, pid: child.pid });
      supervised.exited = child.exited;
      supervised.stop = child.stop;
    };
    await start();
    services.push(supervised);
    void supervise(supervised, start);
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
  watchReadiness([
    [services[0] as Supervised, apiUrl],
    [services[1] as Supervised, streamUrl],
  ]);
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
  if (!stopping) {
    logger.error("gridpulse failed to start", { err: error });
    await stopAll(1, "start failed");
  }
}
