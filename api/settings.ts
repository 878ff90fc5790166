/**
 * Settings every API host shares (Node and Workers), validated with zod from the environment
 * (`process.env` on Node, the Worker's vars and secrets on Workers).
 */
import { z } from "zod";
import {
  databaseKeptStreamsVar,
  databaseReadPipelinesVar,
  databaseTimeoutVar,
  logLevelVar,
  positiveIntVar,
} from "../core/config/env.ts";
import { DEFAULT_READ_PIPELINES } from "../core/db/remote-database.ts";
import { DEFAULT_KEPT_STREAMS } from "../core/db/server-streams.ts";
import { outboundAllowlistVar, pushHostsVar } from "../core/notify/settings.ts";

const originList = z
  .string()
  .default("")
  .transform((value) =>
    value
      .split(",")
      .map((origin) => origin.trim())
      .filter(Boolean),
  )
  .refine(
    (origins) => origins.every((o) => o === "*" || /^https?:\/\/[^\s/]+$/.test(o)),
    "must be * or a comma-separated list of origins like https://app.example.com",
  );

export const apiSettingsSchema = z.object({
  SERVICE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, "may contain only letters, digits, '.', '_' and '-'")
    .default("edge-api"),
  REGION: z.string().max(64).optional(),
  CORS_ORIGINS: originList,
  BODY_LIMIT_BYTES: positiveIntVar(1024 * 1024, 64 * 1024 * 1024),
  READINESS_TIMEOUT_MS: positiveIntVar(2000, 60_000),
  RATE_LIMIT_PER_S: positiveIntVar(20, 100_000),
  RATE_LIMIT_BURST: positiveIntVar(60, 1_000_000),
  /** Per subscriber token (browsers holding a subscribe link): requests per minute and burst. */
  SUBSCRIBER_RATE_LIMIT_PER_MIN: positiveIntVar(60, 100_000),
  SUBSCRIBER_RATE_LIMIT_BURST: positiveIntVar(20, 100_000),
  /**
   * Failed authentications (missing, malformed, unknown, revoked or expired keys) per client address:
   * beyond this budget the address gets 429 + Retry-After, without its keys being checked.
   */
  AUTH_FAILURE_RATE_LIMIT_PER_S: positiveIntVar(1, 100_000),
  AUTH_FAILURE_RATE_LIMIT_BURST: positiveIntVar(30, 1_000_000),
  AUTH_CACHE_TTL_MS: z.coerce.number().int().min(0).max(300_000).default(10_000),
  /** How long cohort quartiles and class shares are served from memory (0: always read). */
  BENCHMARK_CACHE_TTL_MS: z.coerce.number().int().min(0).max(300_000).default(15_000),
  /**
   * Most stored buckets (one per route and minute or hour) one GET /v1/latency may merge; a query over
   * more is refused with 400, before any histogram is read.
   */
  LATENCY_MAX_BUCKETS: positiveIntVar(100_000, 10_000_000),
  NOTIFY_OUTBOUND_ALLOWLIST: outboundAllowlistVar,
  NOTIFY_PUSH_HOSTS: pushHostsVar,
  /** Served by GET /v1/push/vapid-public-key when set; else the key the stream worker generated. */
  VAPID_PUBLIC_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{87}$/, "must be a base64url uncompressed P-256 public key")
    .optional(),
  /**
   * libSQL server only: how long a process (isolate) reuses the latest market prices it read; 0 reads
   * them for every assessment. An embedded file is always read (no round trip).
   */
  MARKET_PRICE_CACHE_TTL_MS: z.coerce.number().int().min(0).max(300_000).default(2000),
  /**
   * libSQL server: the deadline of each request to it. A request past it, or a write queued that long
   * behind one, answers 503 + Retry-After instead of waiting for a stalled server.
   */
  DATABASE_TIMEOUT_MS: databaseTimeoutVar(5000),
  DATABASE_KEPT_STREAMS: databaseKeptStreamsVar(DEFAULT_KEPT_STREAMS),
  /** libSQL server: read requests kept in flight; reads arriving meanwhile go together. */
  DATABASE_READ_PIPELINES: databaseReadPipelinesVar(DEFAULT_READ_PIPELINES),
  /** The API's public base URL for OpenAPI `servers` (default: the origin /openapi.json was asked at). */
  API_PUBLIC_URL: z
    .url({ protocol: /^https?$/ })
    .transform((u) => u.replace(/\/+$/, ""))
    .optional(),
  /** How long the answer to a POST with an `Idempotency-Key` is kept and replayed. */
  IDEMPOTENCY_TTL_S: positiveIntVar(86_400, 30 * 86_400),
  /** How long a request holds its `Idempotency-Key` before a crashed request's key is freed. */
  IDEMPOTENCY_LOCK_S: positiveIntVar(60, 3600),
  /** Per tenant caps on webhook endpoints and push subscriptions (a create beyond them is a 409). */
  WEBHOOK_ENDPOINTS_MAX: positiveIntVar(50, 10_000),
  PUSH_SUBSCRIPTIONS_MAX: positiveIntVar(1000, 1_000_000),
  LOG_LEVEL: logLevelVar,
});

export type ApiSettings = z.output<typeof apiSettingsSchema>;
