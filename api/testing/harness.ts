/**
 * Unit-test harness for the API: the real app over an in-memory libSQL database with migrations, a
 * fresh tenant per call, captured logs and telemetry, and a controllable clock.
 */

import { createClient } from "@libsql/client";
import { createSummaryCache } from "../../core/benchmark/benchmark.ts";
import { createDatabase, type Database } from "../../core/db/database.ts";
import type { RequestEventInput } from "../../core/events/request-event.ts";
import { createLogger, type LogLevel } from "../../core/observability/logger.ts";
import { tokenBucketLimiter } from "../../core/ratelimit/token-bucket.ts";
import { createTenantWithAdminKey } from "../../core/tenants/tenants.service.ts";
import { hashApiKeyNode } from "../../platform/api-key-hash.ts";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { createApp } from "../app.ts";
import { createAuthCache } from "../auth/auth-cache.ts";
import type { AppDeps } from "../context.ts";
import { noMetrics, type RequestMetrics } from "../observe/request-metrics.ts";
import { type ApiSettings, apiSettingsSchema } from "../settings.ts";

export interface Harness {
  app: ReturnType<typeof createApp>;
  db: Database;
  logs: { level: LogLevel; record: Record<string, unknown> }[];
  events: RequestEventInput[];
  clock: { nowMs: number };
  /** A new tenant and its admin key. */
  tenant(name?: string): Promise<{ tenantId: string; key: string; keyId: string }>;
  /** `app.request` with the key as Bearer credentials and JSON bodies. */
  call(
    path: string,
    key: string | undefined,
    init?: RequestInit & { json?: unknown },
  ): Promise<Response>;
}

export async function createHarness(
  overrides: {
    settings?: Partial<Record<string, string>>;
    metrics?: RequestMetrics;
    database?: Database;
    tracing?: boolean;
    /** The host's telemetry sink instead of the captured events (`h.events`). */
    telemetry?: AppDeps["telemetry"];
  } = {},
): Promise<Harness> {
  const db = overrides.database ?? createDatabase(createClient({ url: ":memory:" }));
  if (!overrides.database) await applyMigrations(db);
  const logs: Harness["logs"] = [];
  const events: RequestEventInput[] = [];
  const clock = { nowMs: Date.UTC(2026, 10, 22, 12) };
  const settings: ApiSettings = apiSettingsSchema.parse({
    LOG_LEVEL: "debug",
    ...overrides.settings,
  });
  const deps: AppDeps = {
    settings,
    database: () => db,
    logger: createLogger({
      service: "api-test",
      level: "debug",
      writer: (level, line) => logs.push({ level, record: JSON.parse(line) }),
    }),
    now: () => clock.nowMs,
    version: "test",
    rateLimiter: (() => {
      const limiter = tokenBucketLimiter({
        ratePerS: settings.RATE_LIMIT_PER_S,
        burst: settings.RATE_LIMIT_BURST,
        now: () => clock.nowMs,
      });
      return () => limiter;
    })(),
    // Tests name the caller's address in a header (there is no socket under app.request).
    clientAddress: (c) => c.req.header("X-Test-Client-Address"),
    telemetry: overrides.telemetry ?? (() => ({ record: (event) => events.push(event) })),
    metrics: overrides.metrics ?? noMetrics,
    authCache: createAuthCache(settings.AUTH_CACHE_TTL_MS),
    benchmarkCache: createSummaryCache(settings.BENCHMARK_CACHE_TTL_MS),
    hashApiKey: hashApiKeyNode,
    ...(overrides.tracing ? { tracing: true } : {}),
  };
  const app = createApp(deps);
  return {
    app,
    db,
    logs,
    events,
    clock,
    async tenant(name = "Test Tenant") {
      const { tenantId, apiKey } = await createTenantWithAdminKey(db, { name, nowMs: clock.nowMs });
      return { tenantId, key: apiKey.key, keyId: apiKey.row.id };
    },
    async call(path, key, init = {}) {
      const headers = new Headers(init.headers);
      if (key) headers.set("Authorization", `Bearer ${key}`);
      let body = init.body;
      if (init.json !== undefined) {
        headers.set("Content-Type", "application/json");
        body = JSON.stringify(init.json);
      }
      return app.request(path, { ...init, headers, body: body ?? null });
    },
  };
}
