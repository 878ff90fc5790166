import type { Context, MiddlewareHandler } from "hono";
import type { RateLimiter } from "../../core/ratelimit/token-bucket.ts";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors/api-error.ts";

/** The policy's name in the IETF `RateLimit-Policy` / `RateLimit` fields (API keys). */
export const RATE_LIMIT_POLICY = "per-key";

/**
 * Per-credential rate limit (after authentication; the credential is `c.var.auth.keyId`: an API key,
 * or a subscriber token with its own limiter and policy): 429 with Retry-After when its budget is spent.
 * Every limited response, the 429 included, carries the IETF RateLimit fields
 * (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy: "per-key";q=<burst>;w=<seconds to refill
 * the burst>` and `RateLimit: "per-key";r=<remaining>;t=<seconds until the burst is full again>`.
 * Under the Workers Rate Limiting binding the remaining budget is unknown: only the 429 says `r=0`.
 */
export function rateLimit(
  options: {
    limiter?: (c: Context<AppEnv>) => RateLimiter;
    credential?: string;
    policy?: string;
    /** Refill rate of the limiter, per second (default RATE_LIMIT_PER_S). */
    ratePerS?: (c: Context<AppEnv>) => number;
  } = {},
): MiddlewareHandler<AppEnv> {
  const credential = options.credential ?? "API key";
  const policy = options.policy ?? RATE_LIMIT_POLICY;
  return async function rateLimitMiddleware(c, next) {
    const deps = c.var.deps;
    const limiter = options.limiter ?? deps.rateLimiter;
    const decision = await limiter(c).limit(c.var.auth.keyId);
    const known = Number.isFinite(decision.remaining) && decision.limit > 0;
    const ratePerS = options.ratePerS?.(c) ?? deps.settings.RATE_LIMIT_PER_S;
    const headers: Record<string, string> = {};
    if (known) {
      const remaining = Math.max(0, Math.floor(decision.remaining));
      const windowS = Math.max(1, Math.ceil(decision.limit / ratePerS));
      const fullInS = decision.allowed
        ? Math.ceil((decision.limit - remaining) / ratePerS)
        : Math.max(decision.retryAfterS, Math.ceil(decision.limit / ratePerS));
      headers["RateLimit-Policy"] = `"${policy}";q=${decision.limit};w=${windowS}`;
      headers.RateLimit = `"${policy}";r=${decision.allowed ? remaining : 0};t=${fullInS}`;
    } else if (!decision.allowed) {
      headers.RateLimit = `"${policy}";r=0;t=${decision.retryAfterS}`;
    }
    if (!decision.allowed) {
      deps.metrics.rateLimited();
      throw new ApiError("rate_limited", `rate limit exceeded for this ${credential}`, {
        headers: { ...headers, "Retry-After": String(decision.retryAfterS) },
        details: { retryAfterS: decision.retryAfterS },
      });
    }
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
    await next();
  };
}
