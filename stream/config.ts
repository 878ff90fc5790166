/** Settings of the stream worker, from the environment (validated once at start). */
import { z } from "zod";
import {
  bearerTokenVar,
  booleanVar,
  ConfigError,
  databaseCheckpointIntervalVar,
  databaseKeptStreamsVar,
  databaseReadPipelinesVar,
  databaseTimeoutVar,
  databaseUrlVar,
  type EnvSource,
  httpHeadersTimeoutVar,
  kafkaBrokersVar,
  logLevelVar,
  parseEnv,
  portVar,
  positiveIntVar,
  topicPrefixVar,
  tracingVars,
  whenValid,
} from "../core/config/env.ts";
import { DEFAULT_READ_PIPELINES } from "../core/db/remote-database.ts";
import { DEFAULT_KEPT_STREAMS } from "../core/db/server-streams.ts";
import { loadNotifyConfig, type NotifyConfig, vapidConfigProblems } from "./notify/config.ts";

const stages = ["aggregate", "evaluate", "market", "alerts", "dispatch"] as const;

export const streamConfigSchema = z.object({
  STREAM_PORT: portVar(9464),
  STREAM_HOST: z.string().default("127.0.0.1"),
  HTTP_HEADERS_TIMEOUT_MS: httpHeadersTimeoutVar,
  /**
   * Which stages this process runs: any of `aggregate`, `evaluate`, `market`, `alerts`, `dispatch`
   * (default: all).
   */
  STREAM_STAGES: z
    .string()
    .default("aggregate,evaluate,market,alerts,dispatch")
    .transform((v) => [
      ...new Set(
        v
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    ])
    .refine(
      (list) => list.length > 0 && list.every((s) => (stages as readonly string[]).includes(s)),
      "must list one or more of aggregate, evaluate, market, alerts, dispatch",
    )
    .transform((list) => list as (typeof stages)[number][]),
  KAFKA_BROKERS: kafkaBrokersVar.refine((brokers) => brokers !== undefined, {
    message: "is required for the stream worker (npm start provisions a local broker and sets it)",
  }),
  KAFKA_TOPIC_PREFIX: topicPrefixVar,
  KAFKA_CLIENT_ID: z.string().min(1).default("gridpulse-stream"),
  /** Prefix of the consumer groups: `<prefix>-aggregate`, `<prefix>-evaluate`, `<prefix>-market`. */
  STREAM_CONSUMER_GROUP: z.string().min(1).max(200).default("gridpulse-stream"),
  STREAM_SESSION_TIMEOUT_MS: positiveIntVar(10_000, 300_000),
  /** How long a fetch waits for data before a batch is processed anyway. */
  STREAM_MAX_WAIT_MS: positiveIntVar(500, 30_000),
  /** Stage 1 partitions processed concurrently in one process. */
  STREAM_PARTITION_CONCURRENCY: positiveIntVar(3, 64),
  /**
   * Most bytes stage 1 fetches per partition at once (one transaction per fetch): larger fetches mean
   * fewer transactions and more events/s, at the cost of memory (about 3x this per partition in hand).
   */
  STREAM_FETCH_MAX_BYTES_PER_PARTITION: positiveIntVar(2 * 1024 * 1024, 64 * 1024 * 1024),
  /**
   * Stage 1 accumulates a partition's fetched batches (partials merged per series) for this long
   * before one Kafka transaction commits them with the offset: fewer transactions and one partial per
   * series per interval for stage 2, at up to this much more latency. 0: every fetch commits alone.
   */
  STREAM_COMMIT_INTERVAL_MS: z.coerce
    .number({ error: "must be a number" })
    .int("must be an integer")
    .min(0, "must be at least 0")
    .max(60_000, "must be at most 60000")
    .default(1000),
  /** A partition's accumulation also commits once its events reach this many bytes. */
  STREAM_COMMIT_MAX_BYTES: positiveIntVar(32 * 1024 * 1024, 1024 * 1024 * 1024),
  /** Events older than the partition's latest event time minus this go to the DLQ as late. */
  STREAM_ALLOWED_LATENESS_MS: positiveIntVar(120_000, 86_400_000),
  /**
   * RequestEvents dated further ahead of the worker's clock go to the DLQ (reason future_timestamp);
   * those within it are counted, but no partition's watermark moves past the clock.
   */
  STREAM_MAX_FUTURE_SKEW_MS: positiveIntVar(300_000, 86_400_000),
  /** Routes per service with their own series; the events of further routes are stored as `__other__`. */
  STREAM_MAX_ROUTES_PER_SERVICE: positiveIntVar(1000, 100_000),
  /**
   * Stage 2's cache of window buckets (MB, approximate heap bytes; also at most 50,000 buckets): what
   * is not cached is read back from the database, the stored results are the same.
   */
  STREAM_WINDOW_CACHE_MB: positiveIntVar(32, 4096),
  /** Latency thresholds (ms) counted exactly, besides those of latency SLOs. */
  STREAM_LATENCY_THRESHOLDS_MS: z
    .string()
    .default("100,250,500,1000")
    .transform((v, ctx) => {
      const entries = v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      // Every entry counts: one that is not whole milliseconds is refused, never dropped.
      const bad = entries.filter((s) => !/^\d{1,6}$/.test(s) || +s < 1 || +s > 600_000);
      if (entries.length > 0 && bad.length === 0) return entries.map(Number);
      const shown = bad.slice(0, 10).map((s) => JSON.stringify(s.slice(0, 20)));
      if (bad.length > 10) shown.push(`${bad.length - 10} more`);
      ctx.addIssue({
        code: "custom",
        message:
          entries.length === 0
            ? "must list at least one threshold (whole milliseconds from 1 to 600000)"
            : `must be whole milliseconds from 1 to 600000, comma-separated; not: ${shown.join(", ")}`,
      });
      return z.NEVER;
    }),
  /** Market events dated further ahead of the worker's clock go to the DLQ (reason future_timestamp). */
  STREAM_MARKET_MAX_FUTURE_MS: positiveIntVar(86_400_000, 366 * 86_400_000),
  STREAM_EVAL_INTERVAL_MS: positiveIntVar(1000, 60_000),
  /** Alert evaluation tick (stream/alerts); the lease must last at least two ticks. */
  STREAM_ALERT_EVAL_INTERVAL_MS: positiveIntVar(1000, 60_000),
  STREAM_ALERT_LEASE_MS: positiveIntVar(15_000, 600_000),
  /**
   * Shards the tenants are hashed into for alert evaluation, spread over the running `alerts`
   * processes (one lease per shard). Every process of a deployment must use the same number.
   */
  STREAM_ALERT_SHARDS: positiveIntVar(64, 4096),
  /** Evaluate only tenants whose inputs changed or whose clocks are due (false: every tick all). */
  STREAM_ALERT_INCREMENTAL: booleanVar(true),
  /** How far back request windows are compared for new data (must exceed writers' clock skew). */
  STREAM_ALERT_DATA_LOOKBACK_MS: positiveIntVar(300_000, 86_400_000),
  /** Alert history (GET /v1/alerts/history) is kept this long after an episode resolved. */
  STREAM_ALERT_HISTORY_RETENTION_DAYS: positiveIntVar(30, 3650),
  STREAM_LATENCY_GAUGES_INTERVAL_MS: positiveIntVar(15_000, 600_000),
  STREAM_LATENCY_TOP_ROUTES: z.coerce.number().int().min(0).max(1000).default(10),
  /**
   * How long minute buckets are kept: at least a day, since SLO windows under a day are counted from
   * them (the first partial UTC hour of a month in a zone such as Asia/Kolkata is kept to its end).
   */
  STREAM_MINUTE_RETENTION_HOURS: positiveIntVar(72, 24 * 30).refine(
    (hours) => hours >= 24,
    "must be at least 24 (SLO windows under a day are counted from minute buckets)",
  ),
  /**
   * How long hour buckets are kept: at least the longest SLO window (90 days, rolling windows and tier
   * windows alike) and a day, so no window ever loses its start to pruning.
   */
  STREAM_HOUR_RETENTION_DAYS: positiveIntVar(91, 400).refine(
    (days) => days >= 91,
    "must be at least 91 (SLO windows reach 90 days, counted from hour buckets)",
  ),
  DATABASE_URL: databaseUrlVar.default("file:./data/gridpulse.db"),
  DATABASE_AUTH_TOKEN: z.string().optional(),
  DATABASE_MIGRATE_ON_START: booleanVar(true),
  /**
   * libSQL server: the deadline of each request to it; a stage's transaction past it fails and is
   * retried like one the server refused (the offsets stored with it tell whether it took effect).
   */
  DATABASE_TIMEOUT_MS: databaseTimeoutVar(10_000),
  DATABASE_KEPT_STREAMS: databaseKeptStreamsVar(DEFAULT_KEPT_STREAMS),
  DATABASE_READ_PIPELINES: databaseReadPipelinesVar(DEFAULT_READ_PIPELINES),
  DATABASE_CHECKPOINT_INTERVAL_MS: databaseCheckpointIntervalVar,
  /** Bearer token of POST /v1/ingest/requests (telemetry from the API on Workers); unset: no ingest. */
  STREAM_INGEST_TOKEN: bearerTokenVar,
  LOG_LEVEL: logLevelVar,
  KAFKA_LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("warn"),
  ...tracingVars,
});

/** The settings with the rules across them, each checked whenever the variables it compares are valid. */
const checkedStreamConfigSchema = streamConfigSchema.superRefine(
  (c, ctx) => {
    // A lease shorter than two ticks lapses between renewals: shards would change hands every tick.
    if (c.STREAM_ALERT_LEASE_MS < 2 * c.STREAM_ALERT_EVAL_INTERVAL_MS)
      ctx.addIssue({
        code: "custom",
        message: `must be at least twice STREAM_ALERT_EVAL_INTERVAL_MS (${c.STREAM_ALERT_EVAL_INTERVAL_MS})`,
        path: ["STREAM_ALERT_LEASE_MS"],
      });
  },
  whenValid("STREAM_ALERT_LEASE_MS", "STREAM_ALERT_EVAL_INTERVAL_MS"),
);

export type StreamConfig = z.output<typeof streamConfigSchema> & { KAFKA_BROKERS: string[] };

export const loadStreamConfig = (env: EnvSource): StreamConfig =>
  parseEnv("stream worker", checkedStreamConfigSchema, env) as StreamConfig;

/**
 * Everything the stream worker reads from the environment, checked before it opens anything: its own
 * settings with the rules across them and, when it runs the `dispatch` stage (or STREAM_STAGES itself
 * is invalid), the notification settings and the VAPID pair. Every problem in one ConfigError.
 */
export function loadStreamWorkerConfig(env: EnvSource): {
  stream: StreamConfig;
  notify: NotifyConfig | undefined;
} {
  const problems: string[] = [];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  const stream = attempt(() => loadStreamConfig(env));
  const stages = streamConfigSchema.shape.STREAM_STAGES.safeParse(
    env.STREAM_STAGES?.trim() || undefined,
  );
  const dispatching = !stages.success || stages.data.includes("dispatch");
  const notify = dispatching ? attempt(() => loadNotifyConfig(env)) : undefined;
  if (dispatching) problems.push(...vapidConfigProblems(env));
  if (!stream || problems.length > 0) throw new ConfigError("stream worker", problems);
  return { stream, notify };
}
