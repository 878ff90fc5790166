/**
 * Slow clients on gridpulse's Node HTTP servers: a client that sends its request's headers a line at
 * a time, never finishing them, is answered 408 and its connection closed once
 * `HTTP_HEADERS_TIMEOUT_MS` (1.5 s here) has passed, within about a second more (Node's own check runs
 * every 30 s unless told otherwise). On the API the 408 has the JSON error shape and is counted;
 * meanwhile other clients are served. The stream worker's server (ingest, health, metrics) too.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../dev/net.ts";
import { type ApiRuntime, startEmbeddedApiRuntime } from "../support/api-runtimes.ts";
import { createTopics, testKafka, uniquePrefix } from "../support/kafka.ts";
import type { ServiceProcess } from "../support/processes.ts";
import { type RawConnection, type RawResponse, rawConnection } from "../support/raw-http.ts";
import { startStreamWorker } from "../support/stream.ts";

/** `n` clients that send a request line, then a header line every 200 ms: their answers and when. */
async function slowClients(
  url: string,
  n: number,
  during?: () => Promise<void>,
): Promise<{ answers: RawResponse[]; ms: number }> {
  const slow: RawConnection[] = await Promise.all(
    Array.from({ length: n }, () => rawConnection(url)),
  );
  const started = performance.now();
  for (const conn of slow)
    await conn.write("GET /health/live HTTP/1.1\r\nHost: gridpulse.test\r\n");
  const drip = setInterval(() => {
    for (const conn of slow) if (conn.open()) void conn.write("X-Slow: 1\r\n").catch(() => {});
  }, 200);
  try {
    await during?.();
    const answers = await Promise.all(slow.map((conn) => conn.response(10_000)));
    const ms = performance.now() - started;
    for (const conn of slow) await conn.closed(5000);
    return { answers, ms };
  } finally {
    clearInterval(drip);
    for (const conn of slow) conn.destroy();
  }
}

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
    const { answers, ms } = await slowClients(api.url, 20, async () => {
      // Served meanwhile.
      expect((await fetch(`${api.url}/health/live`)).status).toBe(200);
    });
    for (const res of answers) {
      expect(res.status).toBe(408);
      expect(res.headers["content-type"]).toContain("application/json");
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: "request_timeout" } });
    }
    console.log(`API: 20 slow clients answered 408 and closed after ${Math.round(ms)} ms`);
    expect(ms).toBeGreaterThanOrEqual(1400);
    expect(ms).toBeLessThan(4000);
    const metrics = await (await fetch(metricsUrl)).text();
    expect(metrics).toMatch(/gridpulse_api_client_errors_total\{code="request_timeout"\} 20/);
  });
});

describe("slow request headers (stream worker)", () => {
  let worker: ServiceProcess | undefined;
  beforeAll(async () => {
    const prefix = uniquePrefix();
    await createTopics(testKafka(), prefix);
    worker = (await startStreamWorker(prefix, { env: { HTTP_HEADERS_TIMEOUT_MS: "1500" } })).worker;
  });
  afterAll(async () => {
    await worker?.stop();
  });

  it("answers 408 and closes the connection once the header deadline has passed", async () => {
    const url = worker?.url as string;
    const { answers, ms } = await slowClients(url, 10, async () => {
      expect((await fetch(`${url}/health/live`)).status).toBe(200);
    });
    for (const res of answers) expect(res.status).toBe(408);
    console.log(
      `stream worker: 10 slow clients answered 408 and closed after ${Math.round(ms)} ms`,
    );
    expect(ms).toBeGreaterThanOrEqual(1400);
    expect(ms).toBeLessThan(4000);
  });
});
