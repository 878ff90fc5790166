/**
 * HTTP caching of `/v1` GETs: a weak ETag (SHA-1 of the body) on every 200, `If-None-Match` answered
 * with 304 (keeping ETag, Cache-Control, X-Request-Id and the RateLimit fields), and Cache-Control:
 * market prices are shared reference data (`public, max-age=60`), cohort benchmarks change slowly
 * (`private, max-age=60`), everything else is the tenant's own state (`private, no-cache`: revalidate
 * with the ETag). Weak because the edge or Node may compress the same representation.
 */
import type { MiddlewareHandler } from "hono";
import { etag, RETAINED_304_HEADERS } from "hono/etag";
import type { AppEnv } from "../context.ts";

export const cacheControl: Record<string, string> = {
  "/v1/market/prices": "public, max-age=60",
  "/v1/benchmarks": "private, max-age=60",
};
export const DEFAULT_CACHE_CONTROL = "private, no-cache";

export function httpCaching(): MiddlewareHandler<AppEnv> {
  const tag = etag({
    weak: true,
    retainedHeaders: [...RETAINED_304_HEADERS, "x-request-id", "ratelimit", "ratelimit-policy"],
  });
  return async function httpCachingMiddleware(c, next) {
    if (c.req.method !== "GET") return next();
    await tag(c, async () => {
      await next();
      if (c.res.ok && !c.res.headers.has("cache-control")) {
        c.res.headers.set(
          "Cache-Control",
          cacheControl[c.req.path.replace(/\/+$/, "")] ?? DEFAULT_CACHE_CONTROL,
        );
      }
    });
  };
}
