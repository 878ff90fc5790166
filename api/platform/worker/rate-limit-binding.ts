/**
 * Workers rate limiting through the platform's Rate Limiting binding (`[[ratelimits]]` in
 * wrangler.toml). The binding answers only allowed / refused, so `Retry-After` is the binding's period.
 */
import type { RateLimiter } from "../../../core/ratelimit/token-bucket.ts";

export interface RateLimitBinding {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

export function bindingLimiter(binding: RateLimitBinding, periodS: number): RateLimiter {
  return {
    async limit(key) {
      const { success } = await binding.limit({ key });
      return {
        allowed: success,
        retryAfterS: success ? 0 : periodS,
        remaining: Number.POSITIVE_INFINITY,
        limit: 0,
      };
    },
  };
}
