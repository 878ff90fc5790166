/**
 * The gridpulse edge API as one Hono app, identical on Workers and Node; hosts only supply `AppDeps`.
 * Middleware order: request id, timing, security headers, CORS, observation (logs, metrics,
 * telemetry); then for `/v1`: body size, JSON only, API-key auth with tenant scope (failures limited per
 * client address), per-key rate limit, strict JSON bodies (no duplicate keys, bounded nesting)
 * (`/v1/subscriber/*` instead: subscriber-token auth, its failures limited the same way, and the
 * subscriber rate limit). The subscriber page (`/subscribe/`) is served as static assets embedded in
 * the app, on both runtimes.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { timing } from "hono/timing";
import { asyncApiDocument, eventSchemas } from "../core/events/contracts.ts";
import { tokenBucketLimiter } from "../core/ratelimit/token-bucket.ts";
import { authenticate, limitAuthFailures } from "./auth/authenticate.ts";
import { authenticateSubscriber } from "./auth/authenticate-subscriber.ts";
import type { AppDeps, AppEnv } from "./context.ts";
import { httpCaching } from "./conventions/caching.ts";
import { idempotency } from "./conventions/idempotency.ts";
import { ApiError } from "./errors/api-error.ts";
import { notFound, onError } from "./errors/handler.ts";
import { bodySize } from "./middleware/body-size.ts";
import { compression } from "./middleware/compression.ts";
import { contextVars } from "./middleware/context-vars.ts";
import { rateLimit } from "./middleware/rate-limit.ts";
import { requireJson } from "./middleware/require-json.ts";
import { strictJson } from "./middleware/strict-json.ts";
import { urlLength } from "./middleware/url-length.ts";
import { observe } from "./observe/observe.ts";
import {
  docsPage,
  openApiDocument,
  scalarCsp,
  scalarInit,
  scalarPage,
} from "./openapi/document.ts";
import { validationHook } from "./openapi/validation-hook.ts";
import { alertRuleRoutes } from "./routes/alert-rules/index.ts";
import { alertRoutes } from "./routes/alerts/index.ts";
import { apiKeyRoutes } from "./routes/api-keys/index.ts";
import { assessmentRoutes } from "./routes/assessments/index.ts";
import { benchmarkRoutes } from "./routes/benchmarks/index.ts";
import { healthRoutes } from "./routes/health/index.ts";
import { latencyRoutes } from "./routes/latency/index.ts";
import { marketRoutes } from "./routes/market/index.ts";
import { meRoutes } from "./routes/me/index.ts";
import { notificationPolicyRoutes } from "./routes/notification-policy/index.ts";
import { pushRoutes } from "./routes/push/index.ts";
import { silenceRoutes } from "./routes/silences/index.ts";
import { sloRoutes } from "./routes/slos/index.ts";
import { subscriberRoutes } from "./routes/subscriber/index.ts";
import { subscriberTokenRoutes } from "./routes/subscriber-tokens/index.ts";
import { webhookRoutes } from "./routes/webhooks/index.ts";
import { subscribePageRoutes } from "./subscribe/routes.ts";

/** `/v1/subscriber` and below take subscriber tokens; every other `/v1` route takes API keys. */
const isSubscriberPath = (path: string) =>
  path === "/v1/subscriber" || path.startsWith("/v1/subscriber/");

/** One of two middleware by path (Hono's `use` patterns cannot exclude a prefix). */
const byPath =
  (
    subscriber: MiddlewareHandler<AppEnv>,
    other: MiddlewareHandler<AppEnv>,
  ): MiddlewareHandler<AppEnv> =>
  (c, next) =>
    isSubscriberPath(c.req.path) ? subscriber(c, next) : other(c, next);

export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use(contextVars());
  app.use(requestId({ headerName: "X-Request-Id" }));
  // gzip/deflate when the client accepts it (Node; on Workers the runtime compresses by itself).
  if (deps.compressResponses) app.use(compression({ thresholdBytes: 1024 }));
  app.use(timing({ crossOrigin: deps.settings.CORS_ORIGINS.length > 0 }));
  app.use(secureHeaders());
  if (deps.settings.CORS_ORIGINS.length > 0) {
    const origins = deps.settings.CORS_ORIGINS;
    app.use(
      cors({
        origin: origins.includes("*") ? "*" : origins,
        allowHeaders: [
          "Authorization",
          "Content-Type",
          "traceparent",
          "Idempotency-Key",
          "If-None-Match",
        ],
        allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        exposeHeaders: [
          "X-Request-Id",
          "Retry-After",
          "Server-Timing",
          "RateLimit",
          "RateLimit-Policy",
          "ETag",
          "Location",
          "Idempotent-Replayed",
        ],
        maxAge: 600,
      }),
    );
  }
  app.use(observe(deps));
  app.use(urlLength());
  const authFailures = tokenBucketLimiter({
    ratePerS: deps.settings.AUTH_FAILURE_RATE_LIMIT_PER_S,
    burst: deps.settings.AUTH_FAILURE_RATE_LIMIT_BURST,
    now: deps.now,
  });
  const subscriberBucket = tokenBucketLimiter({
    ratePerS: deps.settings.SUBSCRIBER_RATE_LIMIT_PER_MIN / 60,
    burst: deps.settings.SUBSCRIBER_RATE_LIMIT_BURST,
    now: deps.now,
  });
  app.use(
    "/v1/*",
    bodySize(deps.settings.BODY_LIMIT_BYTES),
    requireJson(),
    byPath(limitAuthFailures(authFailures, authenticateSubscriber()), authenticate(authFailures)),
    byPath(
      rateLimit({
        limiter: deps.subscriberRateLimiter ?? (() => subscriberBucket),
        credential: "subscriber token",
        policy: "per-subscriber-token",
        ratePerS: () => deps.settings.SUBSCRIBER_RATE_LIMIT_PER_MIN / 60,
      }),
      rateLimit(),
    ),
    strictJson(),
    idempotency(),
    httpCaching(),
  );
  app.onError(onError);
  app.notFound(notFound(app));

  const routes = app
    .route("/health", healthRoutes)
    .route("/v1/me", meRoutes)
    .route("/v1/api-keys", apiKeyRoutes)
    .route("/v1/slos", sloRoutes)
    .route("/v1/latency", latencyRoutes)
    .route("/v1/assessments", assessmentRoutes)
    .route("/v1/benchmarks", benchmarkRoutes)
    .route("/v1/market", marketRoutes)
    .route("/v1/alert-rules", alertRuleRoutes)
    .route("/v1/silences", silenceRoutes)
    .route("/v1/alerts", alertRoutes)
    .route("/v1/notification-policy", notificationPolicyRoutes)
    .route("/v1/webhooks", webhookRoutes)
    .route("/v1/push", pushRoutes)
    .route("/v1/subscriber-tokens", subscriberTokenRoutes)
    .route("/v1/subscriber", subscriberRoutes);
  app.route("/subscribe", subscribePageRoutes);

  // `servers` names API_PUBLIC_URL, else the origin the document was asked for (a few kept).
  const documents = new Map<string, ReturnType<typeof openApiDocument>>();
  const doc = (c: Context) => {
    const server = deps.settings.API_PUBLIC_URL ?? new URL(c.req.url).origin;
    let document = documents.get(server);
    if (!document) {
      document = openApiDocument(app, deps.version, server);
      if (documents.size >= 8) documents.clear();
      documents.set(server, document);
    }
    return document;
  };
  app.get("/openapi.json", (c) => c.json(doc(c)));
  const docsBundle = deps.docsBundle;
  if (docsBundle) {
    // The interactive reference (Scalar, self-hosted): only this origin's script, styles and data.
    app.get("/docs", (c) => {
      c.header("Content-Security-Policy", scalarCsp);
      return c.html(scalarPage(doc(c)));
    });
    app.get("/docs/scalar.js", async (c) => {
      c.header("Cache-Control", "public, max-age=86400");
      c.header("Content-Type", "text/javascript; charset=utf-8");
      return c.body(await docsBundle(), 200);
    });
    app.get("/docs/init.js", (c) => {
      c.header("Cache-Control", "no-cache");
      c.header("Content-Type", "text/javascript; charset=utf-8");
      return c.body(scalarInit, 200);
    });
  } else {
    app.get("/docs", (c) => {
      c.header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
      return c.html(docsPage(doc(c)));
    });
  }
  // Event contracts of the Kafka topics (core/events/contracts.ts): AsyncAPI and the JSON Schemas.
  const events = asyncApiDocument(deps.version);
  app.get("/asyncapi.json", (c) => c.json(events));
  app.get("/schemas/:file", (c) => {
    const name = c.req.param("file").replace(/\.json$/, "");
    const schema = Object.hasOwn(eventSchemas, name) ? eventSchemas[name] : undefined;
    if (!schema || !c.req.param("file").endsWith(".json"))
      throw new ApiError("not_found", `no schema ${c.req.param("file")}; see /asyncapi.json`);
    return c.json(schema);
  });
  return routes;
}

export type App = ReturnType<typeof createApp>;
export type AppType = App;
