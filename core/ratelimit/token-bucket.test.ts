import { describe, expect, it } from "vitest";
import { tokenBucketLimiter } from "./token-bucket.ts";

describe("tokenBucketLimiter", () => {
  it("allows a burst, then refuses with Retry-After, then refills at the rate", async () => {
    let now = 0;
    const limiter = tokenBucketLimiter({ ratePerS: 2, burst: 3, now: () => now });
    const burst = await Promise.all([1, 2, 3].map(() => limiter.limit("k")));
    expect(burst.map((d) => d.allowed)).toEqual([true, true, true]);
    const refused = await limiter.limit("k");
    expect(refused).toMatchObject({ allowed: false, retryAfterS: 1, remaining: 0 });
    now += 500; // one token at 2/s
    expect((await limiter.limit("k")).allowed).toBe(true);
    expect((await limiter.limit("k")).allowed).toBe(false);
    now += 10_000; // never above the burst
    const after = await Promise.all([1, 2, 3, 4].map(() => limiter.limit("k")));
    expect(after.map((d) => d.allowed)).toEqual([true, true, true, false]);
  });

  it("keeps keys apart and evicts idle buckets at the cap", async () => {
    let now = 0;
    const limiter = tokenBucketLimiter({ ratePerS: 1, burst: 1, now: () => now, maxKeys: 10 });
    expect((await limiter.limit("a")).allowed).toBe(true);
    expect((await limiter.limit("b")).allowed).toBe(true);
    expect((await limiter.limit("a")).allowed).toBe(false);
    for (let i = 0; i < 20; i++) {
      now += 2000;
      await limiter.limit(`k${i}`);
    }
    expect(limiter.size()).toBeLessThanOrEqual(10);
  });

  it("computes Retry-After from the refill rate", async () => {
    const limiter = tokenBucketLimiter({ ratePerS: 0.1, burst: 1, now: () => 0 });
    await limiter.limit("k");
    expect((await limiter.limit("k")).retryAfterS).toBe(10);
  });
});
