/**
 * Cloudflare Workers entry point. The app and its settings are built once per isolate from the
 * Worker's vars and secrets; the libSQL client (`@libsql/client/web`, HTTP) is built per request,
 * because I/O objects cannot outlive the request that created them. What the isolate keeps for the
 * database across requests: the drizzle handle and its prepared queries, over the request's client
 * (api/platform/worker/request-client.ts), and plain data (core/db/remote-database.ts): its write
 * queue, so the isolate's writes reach the server one group at a time, and the short cache of latest
 * market prices. Migrations never run here.
 */

import { createClient } from "@libsql/client/web";
import type { ExecutionContext } from "hono";
import { z } from "zod";
import { createSummaryCache } from "../core/benchmark/benchmark.ts";
import { bearerTokenVar } from "../core/config/env.ts";
import { createDatabase } from "../core/db/database.ts";
import {
  attachRemoteDatabase,
  RemoteDatabase,
  retryRefused,
  serverExchange,
} from "../core/db/remote-database.ts";
import { keptStreams } from "../core/db/server-streams.ts";
import { createLogger } from "../core/observability/logger.ts";
import { tokenBucketLimiter } from "../core/ratelimit/token-bucket.ts";
import { type App, createApp } from "./app.ts";
import { createAuthCache } from "./auth/auth-cache.ts";
import { errorBody } from "./errors/api-error.ts";
import { noMetrics } from "./observe/request-metrics.ts";
import { keptRawDeflate, keptRawInflate } from "./platform/kept-zlib.ts";
import { type BatchedConsole, batchedConsole } from "./platform/worker/batched-console.ts";
import { ingestTelemetry } from "./platform/worker/ingest-telemetry.ts";
import { bindingLimiter, type RateLimitBinding } from "./platform/worker/rate-limit-binding.ts";
import { requestClient } from "./platform/worker/request-client.ts";
import { inlineAssessor } from "./routes/assessments/prepare.ts";
import { STORED_LEVEL } from "./routes/assessments/stored.ts";
import { executionContext } from "./runtime.ts";
import { apiSettingsSchema } from "./settings.ts";
import { noTelemetry } from "./telemetry/telemetry-sink.ts";
import { version } from "./version.ts";

const workerEnvSchema = apiSettingsSchema.extend({
  DATABASE_URL: z
    .string()
    .regex(
      /^(libsql|https?|wss?):\/\//,
      "must be a libsql://, https:// or http:// URL (Workers cannot open files)",
    ),
  DATABASE_AUTH_TOKEN: z.string().optional(),
  TELEMETRY_INGEST_URL: z.url({ protocol: /^https?$/ }).optional(),
  TELEMETRY_INGEST_TOKEN: bearerTokenVar,
  /** Seconds of the `[[ratelimits]]` binding's period, for Retry-After. */
  RATE_LIMIT_PERIOD_S: z.coerce.number().int().min(1).default(60),
  /**
   * Self-hosted workerd: access-log lines gathered this long into one `console.log` (0: one call per
   * line, as Cloudflare's Workers Logs expects). api/platform/worker/batched-console.ts.
   */
  LOG_BATCH_MS: z.coerce.number().int().min(0).max(10_000).default(0),
});

type WorkerEnv = Record<string, unknown> & { RATE_LIMITER?: RateLimitBinding };

interface Isolate {
  app: App;
  /**
   * Runs a request with a libSQL client of its own; with `LOG_BATCH_MS`, keeps it alive until the
   * access-log lines it has to write are written.
   */
  serve(
    ctx: ExecutionContext,
    request: () => Response | Promise<Response>,
  ): Response | Promise<Response>;
}

let isolate: Isolate | undefined;
let configProblem: string | undefined;

/**
 * The Worker's settings as text, the way the schema reads them: wrangler passes an unquoted TOML
 * number or boolean in `[vars]` (`BODY_LIMIT_BYTES = 10`) as a number or boolean, which becomes its
 * text; a table or an array under a setting's name is refused, naming it. Other objects are bindings
 * (`RATE_LIMITER`) and left out.
 */
function workerVars(env: WorkerEnv): { vars: Record<string, string>; problems: string[] } {
  const vars: Record<string, string> = {};
  const problems: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (typeof value === "string") vars[name] = value;
    else if (typeof value === "number" || typeof value === "boolean") vars[name] = String(value);
    else if (typeof value === "object" && value !== null && name in workerEnvSchema.shape)
      problems.push(
        `${name}: must be a string, number or boolean (a TOML table or array is no setting)`,
      );
  }
  return { vars, problems };
}

function build(env: WorkerEnv): Isolate {
  const { vars, problems } = workerVars(env);
  const parsed = workerEnvSchema.safeParse(vars);
  const issues = parsed.success
    ? []
    : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  if (problems.length > 0 || !parsed.success) {
    configProblem = [...problems, ...issues].join("; ");
    throw new Error(configProblem);
  }
  const config = parsed.data;
  const logs =
    config.LOG_BATCH_MS > 0 ? batchedConsole({ windowMs: config.LOG_BATCH_MS }) : undefined;
  const logger = createLogger({
    service: "gridpulse-api",
    level: config.LOG_LEVEL,
    ...(logs ? { writer: logs.writer } : {}),
  });
  const isolateLimiter = tokenBucketLimiter({
    ratePerS: config.RATE_LIMIT_PER_S,
    burst: config.RATE_LIMIT_BURST,
    now: Date.now,
  });
  const telemetry =
    config.TELEMETRY_INGEST_URL && config.TELEMETRY_INGEST_TOKEN
      ? ingestTelemetry({
          url: config.TELEMETRY_INGEST_URL,
          token: config.TELEMETRY_INGEST_TOKEN,
          logger,
        })
      : undefined;
  const remote = new RemoteDatabase({
    readCacheTtlMs: config.MARKET_PRICE_CACHE_TTL_MS,
    queueTimeoutMs: config.DATABASE_TIMEOUT_MS,
    // Reads and writes go in groups, as on Node (`DATABASE_READ_PIPELINES`). A queued request hears
    // that it leads the next group, or that its result is in, from timers of its own (every
    // millisecond at first, less often as it waits on). Woken by another request's promise, its
    // continuation sometimes ran as part of that request, whose end then cut its `fetch` off
    // (docs/benchmarks.md).
    maxReadPipelines: config.DATABASE_READ_PIPELINES,
    pollMs: 1,
  });
  const exchange = retryRefused(serverExchange(config.DATABASE_TIMEOUT_MS), {
    deadlineMs: config.DATABASE_TIMEOUT_MS,
  });
  const fetchServer = keptStreams(exchange, { maxIdle: config.DATABASE_KEPT_STREAMS });
  const clients = requestClient();
  const db = createDatabase(clients.client);
  const app = createApp({
    settings: config,
    database: () => db,
    logger,
    now: Date.now,
    version,
    rateLimiter: (c) => {
      const binding = (c.env as WorkerEnv).RATE_LIMITER;
      return binding ? bindingLimiter(binding, config.RATE_LIMIT_PERIOD_S) : isolateLimiter;
    },
    clientAddress: (c) => c.req.header("CF-Connecting-IP"),
    telemetry: (c) =>
      telemetry ? { record: (event) => telemetry.record(event, executionContext(c)) } : noTelemetry,
    metrics: noMetrics,
    authCache: createAuthCache(config.AUTH_CACHE_TTL_MS),
    // Requests that find a summary loading wait for it from timers of their own (as the queues do).
    benchmarkCache: createSummaryCache(config.BENCHMARK_CACHE_TTL_MS, { pollMs: 1 }),
    // Stored bodies through zlib streams kept by the isolate, as on Node.
    assessor: inlineAssessor(keptRawDeflate({ level: STORED_LEVEL })),
    rawInflate: keptRawInflate(),
  });
  // A request that finds lines waiting and no write planned plans it and stays alive until it is
  // done (its own line and those gathered meanwhile); the others' lines go with it.
  const keepLines = (ctx: ExecutionContext, logs: BatchedConsole) => {
    const written = logs.pending();
    if (written) ctx.waitUntil(written);
  };
  return {
    app,
    serve: (ctx, request) => {
      const client = createClient({
        url: config.DATABASE_URL,
        authToken: config.DATABASE_AUTH_TOKEN,
        fetch: fetchServer,
      });
      const waitUntil = (p: Promise<unknown>) => ctx.waitUntil(p);
      const response = clients.run(attachRemoteDatabase(client, remote, waitUntil), request);
      return logs ? Promise.resolve(response).finally(() => keepLines(ctx, logs)) : response;
    },
  };
}

export default {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext) {
    try {
      isolate ??= build(env);
    } catch (error) {
      console.error(
        JSON.stringify({
          level: "error",
          msg: "invalid worker configuration",
          problem: configProblem ?? String(error),
        }),
      );
      return Response.json(errorBody("internal", "the service is misconfigured"), { status: 500 });
    }
    const { app, serve } = isolate;
    return serve(ctx, () => app.fetch(request, env, ctx));
  },
};
