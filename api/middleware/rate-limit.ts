import type { MiddlewareHandler } from "hono";
import { ApiError } from "../../core/http/errors.ts";
import type { AppEnv } from "../context.ts";

/** Per-API-key rate limit (after authentication): 429 with Retry-After when the key's budget is spent. */
export function rateLimit(): MiddlewareHandler<AppEnv> {
  return async function rateLimitMiddleware(c, next) {
    const deps = c.var.deps;
    const decision = await deps.rateLimiter(c).limit(c.var.auth.keyId);
    if (!decision.allowed) {
      deps.metrics.rateLimited();
      throw new ApiError("rate_limited", "rate limit exceeded for this API key", {
        headers: { "Retry-After": String(decision.retryAfterS) },
        details: { retryAfterS: decision.retryAfterS },
      });
    }
    if (Number.isFinite(decision.remaining) && decision.limit > 0) {
      c.header("RateLimit-Limit", String(decision.limit));
      c.header("RateLimit-Remaining", String(decision.remaining));
    }
    await next();
  };
}
