/** Settings of the stream worker, from the environment (validated once at start). */
import { z } from "zod";
import {
  type EnvSource,
  kafkaBrokersVar,
  logLevelVar,
  parseEnv,
  portVar,
  positiveIntVar,
  topicPrefixVar,
} from "../core/config/env.ts";

export const streamConfigSchema = z.object({
  STREAM_PORT: portVar(9464),
  STREAM_HOST: z.string().default("127.0.0.1"),
  KAFKA_BROKERS: kafkaBrokersVar.refine((brokers) => brokers !== undefined, {
    message: "is required for the stream worker (npm start provisions a local broker and sets it)",
  }),
  KAFKA_TOPIC_PREFIX: topicPrefixVar,
  KAFKA_CLIENT_ID: z.string().min(1).default("gridpulse-stream"),
  STREAM_CONSUMER_GROUP: z.string().min(1).max(200).default("gridpulse-stream"),
  STREAM_SESSION_TIMEOUT_MS: positiveIntVar(10_000, 300_000),
  /** Bearer token of POST /v1/ingest/requests (telemetry from the API on Workers); unset: no ingest. */
  STREAM_INGEST_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  LOG_LEVEL: logLevelVar,
  KAFKA_LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("warn"),
});

export type StreamConfig = z.output<typeof streamConfigSchema> & { KAFKA_BROKERS: string[] };

export const loadStreamConfig = (env: EnvSource): StreamConfig =>
  parseEnv("stream worker", streamConfigSchema, env) as StreamConfig;
