/**
 * Slow clients on the Node API: a client that sends its request's headers a line at a time, never
 * finishing them, is answered 408 with the JSON error shape and its connection closed once
 * `HTTP_HEADERS_TIMEOUT_MS` (1.5 s here) has passed, within about a second more (Node's own check runs
 * every 30 s unless told otherwise). Meanwhile other clients are served, and the 408s are counted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../dev/net.ts";
import { type ApiRuntime, startEmbeddedApiRuntime } from "../support/api-runtimes.ts";
import { rawConnection } from "../support/raw-http.ts";

describe("slow request headers (Node)", () => {
  let api: ApiRuntime;
  let metricsUrl: string;
  beforeAll(async () => {
    const metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    api = await startEmbeddedApiRuntime({
      HTTP_HEADERS_TIMEOUT_MS: "1500",
      API_METRICS_PORT: String(metricsPort),
    });
  });
  afterAll(async () => {
    await api?.stop();
  });

  it("answers 408 and closes the connection once the header deadline has passed", async () => {
    const slow = await Promise.all(Array.from({ length: 20 }, () => rawConnection(api.url)));
    const started = performance.now();
    for (const conn of slow) await conn.write("GET /v1/me HTTP/1.1\r\nHost: api.test\r\n");
    const drip = setInterval(() => {
      for (const conn of slow) if (conn.open()) void conn.write("X-Slow: 1\r\n").catch(() => {});
    }, 200);
    try {
      // Served meanwhile.
      const live = await fetch(`${api.url}/health/live`);
      expect(live.status).toBe(200);
      const answers = await Promise.all(slow.map((conn) => conn.response(10_000)));
      const ms = performance.now() - started;
      for (const res of answers) {
        expect(res.status).toBe(408);
        expect(res.headers["content-type"]).toContain("application/json");
        expect(JSON.parse(res.body)).toMatchObject({ error: { code: "request_timeout" } });
      }
      for (const conn of slow) await conn.closed(5000);
      console.log(`20 slow clients answered 408 and closed after ${Math.round(ms)} ms`);
      expect(ms).toBeGreaterThanOrEqual(1400);
      expect(ms).toBeLessThan(4000);
    } finally {
      clearInterval(drip);
      for (const conn of slow) conn.destroy();
    }
    const metrics = await (await fetch(metricsUrl)).text();
    expect(metrics).toMatch(/gridpulse_api_client_errors_total\{code="request_timeout"\} 20/);
  });
});
