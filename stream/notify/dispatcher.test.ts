import { describe, expect, it } from "vitest";
import { createTargetCache } from "./dispatcher.ts";

describe("target cache", () => {
  it("reads a target once per TTL, forgets on demand and after a failed read", async () => {
    let now = 0;
    const cache = createTargetCache(() => now, 1000);
    let reads = 0;
    const load = async () => ({ n: ++reads });
    expect(await cache.get("webhook:a", load)).toEqual({ n: 1 });
    expect(await cache.get("webhook:a", load)).toEqual({ n: 1 });
    now = 999;
    expect(await cache.get("webhook:a", load)).toEqual({ n: 1 });
    now = 1000;
    expect(await cache.get("webhook:a", load)).toEqual({ n: 2 });
    cache.forget("webhook:a");
    expect(await cache.get("webhook:a", load)).toEqual({ n: 3 });
    await expect(
      cache.get("push:b", async () => Promise.reject(new Error("db down"))),
    ).rejects.toThrow("db down");
    expect(await cache.get("push:b", load)).toEqual({ n: 4 });
  });
});
