/**
 * In-memory token buckets per key (one process or one isolate): `ratePerS` tokens refill continuously
 * up to `burst`. Pure apart from the injected clock; idle buckets are evicted so memory stays bounded.
 */

export interface RateLimitDecision {
  allowed: boolean;
  /** Whole seconds until one token is available (0 when allowed). */
  retryAfterS: number;
  remaining: number;
  limit: number;
}

export interface RateLimiter {
  limit(key: string): Promise<RateLimitDecision>;
}

export const unlimited: RateLimiter = {
  limit: async () => ({
    allowed: true,
    retryAfterS: 0,
    remaining: Number.POSITIVE_INFINITY,
    limit: 0,
  }),
};

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export function tokenBucketLimiter(options: {
  ratePerS: number;
  burst: number;
  now: () => number;
  maxKeys?: number;
}): RateLimiter & { size(): number; peek(key: string): RateLimitDecision } {
  const buckets = new Map<string, Bucket>();
  const maxKeys = options.maxKeys ?? 100_000;
  const fullAfterMs = (options.burst / options.ratePerS) * 1000;

  const evictIdle = (now: number) => {
    for (const [key, bucket] of buckets) {
      if (now - bucket.updatedMs > fullAfterMs) buckets.delete(key);
      if (buckets.size < maxKeys) break;
    }
  };

  const refused = (tokens: number): RateLimitDecision => ({
    allowed: false,
    retryAfterS: Math.max(1, Math.ceil((1 - tokens) / options.ratePerS)),
    remaining: 0,
    limit: options.burst,
  });

  return {
    size: () => buckets.size,
    /** The decision `limit(key)` would make now, without taking a token. */
    peek(key) {
      const bucket = buckets.get(key);
      if (!bucket)
        return { allowed: true, retryAfterS: 0, remaining: options.burst, limit: options.burst };
      const refill = ((options.now() - bucket.updatedMs) / 1000) * options.ratePerS;
      const tokens = Math.min(options.burst, bucket.tokens + refill);
      return tokens >= 1
        ? { allowed: true, retryAfterS: 0, remaining: Math.floor(tokens), limit: options.burst }
        : refused(tokens);
    },
    async limit(key) {
      const now = options.now();
      let bucket = buckets.get(key);
      if (!bucket) {
        if (buckets.size >= maxKeys) evictIdle(now);
        bucket = { tokens: options.burst, updatedMs: now };
        buckets.set(key, bucket);
      } else {
        const refill = ((now - bucket.updatedMs) / 1000) * options.ratePerS;
        bucket.tokens = Math.min(options.burst, bucket.tokens + refill);
        bucket.updatedMs = now;
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return {
          allowed: true,
          retryAfterS: 0,
          remaining: Math.floor(bucket.tokens),
          limit: options.burst,
        };
      }
      return refused(bucket.tokens);
    },
  };
}
