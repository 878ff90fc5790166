/**
 * What the Hono app needs from its host (Node or Workers) and what each request carries. Hosts build
 * `AppDeps` once; anything that does I/O is a function of the request context, so Workers can build
 * it per request from their bindings while Node hands out long-lived clients.
 */

import type { Context } from "hono";
import type { ApiKeyScope } from "../core/auth/api-keys.ts";
import type { SummaryCache } from "../core/benchmark/benchmark.ts";
import type { Database } from "../core/db/database.ts";
import type { NotificationFilter } from "../core/notify/subscription-filter.ts";
import type { Logger } from "../core/observability/logger.ts";
import type { RateLimiter } from "../core/ratelimit/token-bucket.ts";
import type { AuthCache } from "./auth/auth-cache.ts";
import type { RequestMetrics } from "./observe/request-metrics.ts";
import type { Assessor } from "./routes/assessments/prepare.ts";
import type { RawCodec } from "./routes/assessments/stored.ts";
import type { ApiSettings } from "./settings.ts";
import type { TelemetrySink } from "./telemetry/telemetry-sink.ts";
import type { TenantScope } from "./tenancy/tenant-scope.ts";

export interface AppDeps {
  settings: ApiSettings;
  /** The database for this request (Workers: a client per request; Node: one shared client). */
  database: (c: Context<AppEnv>) => Database;
  logger: Logger;
  /** Milliseconds since the epoch; injected so tests control time. */
  now: () => number;
  version: string;
  rateLimiter: (c: Context<AppEnv>) => RateLimiter;
  /**
   * Per subscriber token; default: an in-memory token bucket per process or isolate from
   * SUBSCRIBER_RATE_LIMIT_PER_MIN / _BURST.
   */
  subscriberRateLimiter?: (c: Context<AppEnv>) => RateLimiter;
  /**
   * The client's address, which failed authentications are counted against (Node: the socket's peer
   * address; Workers: CF-Connecting-IP). Absent or undefined: all such clients share one budget.
   */
  clientAddress?: (c: Context<AppEnv>) => string | undefined;
  telemetry: (c: Context<AppEnv>) => TelemetrySink;
  metrics: RequestMetrics;
  authCache: AuthCache;
  /**
   * Cohort summaries kept in memory: exact while the cohort is unchanged, stale-while-revalidate within
   * BENCHMARK_CACHE_TTL_MS once it moves (core/benchmark/summaries.ts).
   */
  benchmarkCache: SummaryCache;
  /**
   * SHA-256 hex of an API key. Default: Web Crypto (async, works everywhere); Node passes the
   * synchronous node:crypto one, which spares every authenticated request a thread-pool round trip.
   */
  hashApiKey?: (key: string) => string | Promise<string>;
  /**
   * Inflates stored assessment bodies. Default: zlib's `inflateRawSync`; Node passes one kept zlib
   * stream (api/platform/kept-zlib.ts), twice as fast and with far less garbage outside the JS heap.
   */
  rawInflate?: RawCodec;
  /**
   * Readiness: resolves if the database would commit a write within `timeoutMs` (the embedded file:
   * the write lock can be taken); absent where a read probe is the best available check.
   */
  databaseWritable?: (timeoutMs: number) => Promise<void>;
  /**
   * Prepares new assessments for storage: engine, views, stored form (default: in process; Node: on
   * worker threads).
   */
  assessor?: Assessor;
  /**
   * The host registered an OpenTelemetry SDK: each request gets a SERVER span (continuing the
   * caller's `traceparent`), and its RequestEvent carries that span's context. Otherwise the caller's
   * `traceparent` is passed on when it parses, as version 00 (api/observe/observe.ts).
   */
  tracing?: boolean;
  /**
   * The self-hosted Scalar reference UI bundle served at /docs/scalar.js (Node reads it from
   * node_modules; absent on Workers, whose /docs is the built-in operations table).
   */
  docsBundle?: () => Promise<Uint8Array<ArrayBuffer>>;
  /** Compress responses the client accepts gzip/deflate for (Node; Workers' edge does it itself). */
  compressResponses?: boolean;
}

/** Who is calling: resolved from the API key by the auth middleware. */
export interface AuthContext {
  tenantId: string;
  keyId: string;
  scopes: ApiKeyScope[];
}

/** A subscriber token's caller (`/v1/subscriber/*` only), resolved by `authenticateSubscriber`. */
export interface SubscriberContext {
  tenantId: string;
  tokenId: string;
  name: string;
  /** The bounds the tenant fixed for this token's subscriptions. */
  filters: NotificationFilter;
  maxSubscriptions: number;
  expiresAtMs: number;
}

export interface AppEnv {
  Bindings: Record<string, unknown>;
  Variables: {
    requestId: string;
    logger: Logger;
    deps: AppDeps;
    db: Database;
    auth: AuthContext;
    subscriber: SubscriberContext;
    /** Tenant-scoped data access: the one place tenant-owned rows are filtered by tenant. */
    tenant: TenantScope;
    /** The validator of the representation a route answers, when it has one cheaper than the body's digest (api/conventions/caching.ts). */
    etag?: string;
    /**
     * Set by a middleware that reads the answer's bytes back after the route (idempotency stores
     * them): compression then happens after it, not in `c.body` (api/middleware/compression.ts).
     */
    readsAnswer?: boolean;
    /** The scope the route required (`requireScope`), kept with an Idempotency-Key's answer. */
    requiredScope?: ApiKeyScope;
  };
}
