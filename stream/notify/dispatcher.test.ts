import { describe, expect, it } from "vitest";
import { createTargetCache, freshReads } from "./dispatcher.ts";

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

describe("target cache validation", () => {
  it("a newer change stamp empties the cache; an equal or older one keeps it", async () => {
    const cache = createTargetCache(() => 0, 60_000);
    let reads = 0;
    const load = async () => ++reads;
    cache.validate(1);
    expect(await cache.get("webhook:a", load)).toBe(1);
    cache.validate(1);
    cache.validate(0);
    expect(await cache.get("webhook:a", load)).toBe(1);
    cache.validate(2);
    expect(await cache.get("webhook:a", load)).toBe(2);
  });
});

describe("freshReads", () => {
  it("shares a read only among callers that came before it started", async () => {
    const started: ((v: number) => void)[] = [];
    const read = freshReads(() => new Promise<number>((resolve) => started.push(resolve)));
    const a = read();
    const b = read(); // a's read is running: b waits for the next one
    const c = read(); // shares b's
    expect(started).toHaveLength(1);
    started[0]?.(1);
    expect(await a).toBe(1);
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toHaveLength(2);
    started[1]?.(2);
    expect([await b, await c]).toEqual([2, 2]);
    const d = read();
    await new Promise((r) => setTimeout(r, 0));
    started[2]?.(3);
    expect(await d).toBe(3);
  });

  it("a failed read fails its callers only; the next call reads again", async () => {
    let n = 0;
    const read = freshReads(async () => {
      n++;
      if (n === 1) throw new Error("db down");
      return n;
    });
    await expect(read()).rejects.toThrow("db down");
    expect(await read()).toBe(2);
  });
});
