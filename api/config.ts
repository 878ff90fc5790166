/** Settings of the API on Node, from the environment (validated once at start). */
import { availableParallelism } from "node:os";
import { z } from "zod";
import {
  bearerTokenVar,
  booleanVar,
  databaseCheckpointIntervalVar,
  databaseUrlVar,
  type EnvSource,
  httpHeadersTimeoutVar,
  kafkaBrokersVar,
  parseEnv,
  portVar,
  topicPrefixVar,
  tracingVars,
} from "../core/config/env.ts";
import { apiSettingsSchema } from "./settings.ts";

export const defaultDatabaseUrl = "file:./data/gridpulse.db";

export const apiConfigSchema = apiSettingsSchema.extend({
  PORT: portVar(8787),
  HOST: z.string().default("127.0.0.1"),
  HTTP_HEADERS_TIMEOUT_MS: httpHeadersTimeoutVar,
  DATABASE_URL: databaseUrlVar.default(defaultDatabaseUrl),
  DATABASE_AUTH_TOKEN: z.string().optional(),
  DATABASE_MIGRATE_ON_START: booleanVar(true),
  /**
   * Embedded file: how long a write waits for another process's write lock (without blocking the event
   * loop) before the request fails with 503 + Retry-After.
   */
  DATABASE_BUSY_TIMEOUT_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  DATABASE_CHECKPOINT_INTERVAL_MS: databaseCheckpointIntervalVar,
  /** Where the API's own RequestEvents go; unset: telemetry is off. */
  KAFKA_BROKERS: kafkaBrokersVar,
  KAFKA_TOPIC_PREFIX: topicPrefixVar,
  /**
   * Serialized RequestEvents held while Kafka is unreachable; beyond it the oldest are dropped
   * (counted as `dropped_buffer_full`).
   */
  API_TELEMETRY_BUFFER_BYTES: z.coerce
    .number({ error: "must be a number of bytes" })
    .int("must be an integer")
    .min(65_536, "must be at least 65536")
    .max(2 ** 31, `must be at most ${2 ** 31}`)
    .default(16 * 1024 * 1024),
  /** How long the shutdown waits for buffered telemetry to reach Kafka before dropping (counted). */
  API_TELEMETRY_FLUSH_TIMEOUT_MS: z.coerce
    .number({ error: "must be a number of milliseconds" })
    .int("must be an integer")
    .min(0, "must be at least 0")
    .max(60_000, "must be at most 60000")
    .default(2000),
  /**
   * Worker threads that prepare new assessments (engine, views, compression) off the event loop;
   * 0 runs them in process. Default: one less than the cores, at least 1 and at most 4.
   */
  ASSESSMENT_WORKER_THREADS: z.coerce
    .number({ error: "must be a number of threads" })
    .int("must be an integer")
    .min(0, "must be at least 0")
    .max(64, "must be at most 64")
    .default(Math.max(1, Math.min(4, availableParallelism() - 1))),
  /** Prometheus metrics on their own loopback port (0: any free port). */
  API_METRICS_PORT: portVar(9465),
  API_METRICS_HOST: z.string().default("127.0.0.1"),
  /** If set, /metrics requires `Authorization: Bearer <token>`. */
  METRICS_TOKEN: bearerTokenVar,
  ...tracingVars,
});

export type ApiConfig = z.output<typeof apiConfigSchema>;

export const loadApiConfig = (env: EnvSource): ApiConfig => parseEnv("api", apiConfigSchema, env);
