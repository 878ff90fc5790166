import type { Context, MiddlewareHandler } from "hono";
import { ApiError } from "../../core/http/errors.ts";
import type { RateLimiter } from "../../core/ratelimit/token-bucket.ts";
import type { AppEnv } from "../context.ts";

/**
 * Per-credential rate limit (after authentication; the credential is `c.var.auth.keyId`: an API key
 * or a subscriber token): 429 with Retry-After when its budget is spent.
 */
export function rateLimit(
  options: { limiter?: (c: Context<AppEnv>) => RateLimiter; credential?: string } = {},
): MiddlewareHandler<AppEnv> {
  const credential = options.credential ?? "API key";
  return async function rateLimitMiddleware(c, next) {
    const deps = c.var.deps;
    const limiter = options.limiter ?? deps.rateLimiter;
    const decision = await limiter(c).limit(c.var.auth.keyId);
    if (!decision.allowed) {
      deps.metrics.rateLimited();
      throw new ApiError("rate_limited", `rate limit exceeded for this ${credential}`, {
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
