/**
 * Hostile input that only a real server shows, on both runtimes: an over-long query string (Node's
 * HTTP parser refuses it before the app runs) and a stream of failed authentications from one client
 * address (counted by socket address on Node, CF-Connecting-IP on workerd).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiRuntime, type RuntimeName, startApiRuntime } from "../support/api-runtimes.ts";
import { rawConnection } from "../support/raw-http.ts";

const runtimes: RuntimeName[] = ["node", "workerd"];

describe.each(runtimes)("edge input (%s)", (runtime) => {
  let api: ApiRuntime;

  beforeAll(async () => {
    api = await startApiRuntime(runtime, {
      AUTH_FAILURE_RATE_LIMIT_PER_S: "1",
      AUTH_FAILURE_RATE_LIMIT_BURST: "10",
    });
  });
  afterAll(async () => {
    await api?.stop();
  });

  it("answers an over-long query string with 431 and the JSON error shape", async () => {
    // Node's parser sees every request line; workerd hands the app URLs up to ~64 KB and answers
    // longer ones itself (414, plain text, before any Worker code runs: not the app's to shape).
    const sizes = runtime === "node" ? [100 * 1024, 30 * 1024] : [30 * 1024];
    for (const size of sizes) {
      for (const path of ["/health/live", "/v1/me"]) {
        const conn = await rawConnection(api.url);
        try {
          await conn.write(`GET ${path}?q=${"a".repeat(size)} HTTP/1.1\r\nHost: api.test\r\n\r\n`);
          const res = await conn.response();
          expect(res.status, `${path} ${size}`).toBe(431);
          expect(res.headers["content-type"]).toContain("application/json");
          expect(JSON.parse(res.body)).toMatchObject({
            error: { code: "headers_too_large", message: expect.stringContaining("query") },
          });
        } finally {
          conn.destroy();
        }
      }
    }
  });

  it("rate-limits failed authentications by client address: 429 with Retry-After", async () => {
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`${api.url}/v1/me`, {
        headers: { Authorization: `Bearer gp_${String(i).padStart(43, "0")}` },
      });
      statuses.push(res.status);
      if (res.status === 429) limited = res;
      else await res.body?.cancel();
    }
    const unauthorized = statuses.filter((s) => s === 401).length;
    // A budget of 10 refilling at 1/s: a few more may pass while the loop runs.
    expect(unauthorized).toBeGreaterThanOrEqual(10);
    expect(unauthorized).toBeLessThan(25);
    expect(statuses.filter((s) => s === 429).length).toBe(40 - unauthorized);
    if (!limited) throw new Error("no 429 among the failed authentications");
    expect(limited.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
    // A valid key from the same address is refused while the address is blocked...
    const { key } = await api.tenant();
    expect(
      (await fetch(`${api.url}/v1/me`, { headers: { Authorization: `Bearer ${key}` } })).status,
    ).toBe(429);
    // ...and served once the budget refills.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const ok = await fetch(`${api.url}/v1/me`, { headers: { Authorization: `Bearer ${key}` } });
    expect(ok.status).toBe(200);
  });
});
