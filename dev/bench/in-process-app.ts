/**
 * The API app for benches that call it in process (`app.request`, no sockets) on a database they
 * opened: rate limits out of the way, logs and telemetry dropped, Node's synchronous key hash.
 * `overrides` replace any of those dependencies (say an `assessor`).
 */
import { createApp } from "../../api/app.ts";
import { createAuthCache } from "../../api/auth/auth-cache.ts";
import type { AppDeps } from "../../api/context.ts";
import { noMetrics } from "../../api/observe/request-metrics.ts";
import { apiSettingsSchema } from "../../api/settings.ts";
import { createSummaryCache } from "../../core/benchmark/benchmark.ts";
import type { Database } from "../../core/db/database.ts";
import { createLogger } from "../../core/observability/logger.ts";
import { tokenBucketLimiter } from "../../core/ratelimit/token-bucket.ts";
import { hashApiKeyNode } from "../../platform/api-key-hash.ts";

export function inProcessApp(db: Database, overrides: Partial<AppDeps> = {}) {
  return createApp({
    settings: apiSettingsSchema.parse({ RATE_LIMIT_PER_S: "100000", RATE_LIMIT_BURST: "100000" }),
    database: () => db,
    logger: createLogger({ service: "bench", level: "silent" }),
    now: Date.now,
    version: "bench",
    rateLimiter: () => tokenBucketLimiter({ ratePerS: 100_000, burst: 100_000, now: Date.now }),
    telemetry: () => ({ record: () => {} }),
    metrics: noMetrics,
    authCache: createAuthCache(10_000),
    benchmarkCache: createSummaryCache(0),
    hashApiKey: hashApiKeyNode,
    ...overrides,
  });
}
