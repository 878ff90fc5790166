import type { MiddlewareHandler } from "hono";
import { ApiError } from "../../core/http/errors.ts";
import type { AppEnv } from "../context.ts";

/** The policy's name in the IETF `RateLimit-Policy` / `RateLimit` fields. */
export const RATE_LIMIT_POLICY = "per-key";

/**
 * Per-API-key rate limit (after authentication): 429 with Retry-After when the key's budget is spent.
 * Every limited response, the 429 included, carries the IETF RateLimit fields
 * (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy: "per-key";q=<burst>;w=<seconds to refill
 * the burst>` and `RateLimit: "per-key";r=<remaining>;t=<seconds until the burst is full again>`.
 * Under the Workers Rate Limiting binding the remaining budget is unknown: only the 429 says `r=0`.
 */
export function rateLimit(): MiddlewareHandler<AppEnv> {
  return async function rateLimitMiddleware(c, next) {
    const deps = c.var.deps;
    const decision = await deps.rateLimiter(c).limit(c.var.auth.keyId);
    const known = Number.isFinite(decision.remaining) && decision.limit > 0;
    const ratePerS = deps.settings.RATE_LIMIT_PER_S;
    const headers: Record<string, string> = {};
    if (known) {
      const remaining = Math.max(0, Math.floor(decision.remaining));
      const windowS = Math.max(1, Math.ceil(decision.limit / ratePerS));
      const fullInS = decision.allowed
        ? Math.ceil((decision.limit - remaining) / ratePerS)
        : Math.max(decision.retryAfterS, Math.ceil(decision.limit / ratePerS));
      headers["RateLimit-Policy"] = `"${RATE_LIMIT_POLICY}";q=${decision.limit};w=${windowS}`;
      headers.RateLimit = `"${RATE_LIMIT_POLICY}";r=${decision.allowed ? remaining : 0};t=${fullInS}`;
    } else if (!decision.allowed) {
      headers.RateLimit = `"${RATE_LIMIT_POLICY}";r=0;t=${decision.retryAfterS}`;
    }
    if (!decision.allowed) {
      deps.metrics.rateLimited();
      throw new ApiError("rate_limited", "rate limit exceeded for this API key", {
        headers: { ...headers, "Retry-After": String(decision.retryAfterS) },
        details: { retryAfterS: decision.retryAfterS },
      });
    }
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
    await next();
  };
}
