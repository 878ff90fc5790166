/** Settings of the local stack launcher (`npm start`) and the dev tools, from the environment. */
import { resolve } from "node:path";
import { z } from "zod";
import {
  booleanVar,
  databaseUrlVar,
  type EnvSource,
  kafkaBrokersVar,
  logLevelVar,
  parseEnv,
  portVar,
  positiveIntVar,
  topicPrefixVar,
} from "../core/config/env.ts";

export const stackConfigSchema = z.object({
  PORT: portVar(8787),
  STREAM_PORT: portVar(9464),
  API_METRICS_PORT: portVar(9465),
  /** Default: the embedded file `gridpulse.db` in GRIDPULSE_DATA_DIR. */
  DATABASE_URL: databaseUrlVar.optional(),
  DATABASE_AUTH_TOKEN: z.string().optional(),
  KAFKA_BROKERS: kafkaBrokersVar,
  KAFKA_TOPIC_PREFIX: topicPrefixVar,
  KAFKA_PARTITIONS: positiveIntVar(3, 1000),
  KAFKA_LOCAL_PORT: portVar(9092),
  KAFKA_HEAP_MB: positiveIntVar(768, 32_768),
  GRIDPULSE_DATA_DIR: z.string().default("./data"),
  /** Synthetic homes `npm start` seeds into an empty reference stock (0: none). */
  GRIDPULSE_SEED_HOMES: z.coerce.number().int().min(0).max(10_000_000).default(20_000),
  /** First delay before a dead process is restarted; doubles per consecutive crash. */
  LAUNCHER_RESTART_BACKOFF_MS: positiveIntVar(500, 600_000),
  LAUNCHER_RESTART_BACKOFF_MAX_MS: positiveIntVar(30_000, 3_600_000),
  /** A process that ran this long before dying starts a new series of restarts (backoff reset). */
  LAUNCHER_RESTART_STABLE_MS: positiveIntVar(60_000, 86_400_000),
  /** Consecutive crashes (each within the stable time) after which the launcher stops everything. */
  LAUNCHER_RESTART_MAX_CRASHES: positiveIntVar(5, 1000),
  /**
   * A service whose /health/ready has failed this long while the broker serves is restarted (a
   * Kafka client that gave up after an outage does not come back by itself).
   */
  LAUNCHER_UNREADY_RESTART_MS: positiveIntVar(60_000, 3_600_000),
  /** How long each process may take to stop on SIGTERM before it is killed. */
  LAUNCHER_STOP_TIMEOUT_MS: positiveIntVar(10_000, 120_000),
  /** Start a local Zipkin and export the services' traces to it (also `npm start -- --zipkin`). */
  GRIDPULSE_ZIPKIN: booleanVar(false),
  ZIPKIN_LOCAL_PORT: portVar(9411),
  LOG_LEVEL: logLevelVar,
});

export type StackConfig = z.output<typeof stackConfigSchema> & { DATABASE_URL: string };

export function loadStackConfig(env: EnvSource): StackConfig {
  const config = parseEnv("local stack", stackConfigSchema, env);
  const dataDir = resolve(config.GRIDPULSE_DATA_DIR);
  return {
    ...config,
    GRIDPULSE_DATA_DIR: dataDir,
    DATABASE_URL: config.DATABASE_URL ?? `file:${resolve(dataDir, "gridpulse.db")}`,
  };
}

/** Where the launcher records the running stack, so tools like the load generator can find it. */
export const stackStateFile = (dataDir: string) => resolve(dataDir, "local-stack.json");

export interface StackState {
  brokers: string[];
  topicPrefix: string;
  apiUrl: string;
  streamUrl: string;
  pid: number;
}
