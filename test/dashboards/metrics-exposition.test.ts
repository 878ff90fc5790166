/**
 * What the running processes' /metrics serve, checked with promtool (Debian's prometheus package): the
 * Node API with trace export on answers Prometheus' text format (no exemplars) unless the client asks
 * for OpenMetrics, and then OpenMetrics with trace ids as exemplars; the text of the API and of the
 * stream worker passes `promtool check metrics` (parse and lint) with exit 0.
 */
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../dev/net.ts";
import { type ApiRuntime, startEmbeddedApiRuntime } from "../support/api-runtimes.ts";
import { createTopics, testKafka, uniquePrefix } from "../support/kafka.ts";
import type { ServiceProcess } from "../support/processes.ts";
import { startStreamWorker } from "../support/stream.ts";

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
/** What Prometheus 2.x sends when it scrapes. */
const prometheusAccept =
  "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";

let api: ApiRuntime;
let apiMetricsUrl: string;
let worker: ServiceProcess;

beforeAll(async () => {
  const metricsPort = await freePort();
  apiMetricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const prefix = uniquePrefix();
  await createTopics(testKafka(), prefix, 1);
  const [started, stream] = await Promise.all([
    // Trace export on (to the console: no collector needed), so request durations keep exemplars.
    startEmbeddedApiRuntime({
      API_METRICS_PORT: String(metricsPort),
      OTEL_TRACES_EXPORTER: "console",
    }),
    startStreamWorker(prefix),
  ]);
  api = started;
  worker = stream.worker;
  const res = await fetch(`${api.url}/v1/me`, {
    headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
  });
  await res.text();
}, 180_000);

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop("SIGKILL")]);
});

async function scrape(url: string, accept?: string) {
  const res = await fetch(url, accept === undefined ? {} : { headers: { accept } });
  expect(res.status).toBe(200);
  return { contentType: res.headers.get("content-type") ?? "", body: await res.text() };
}

function checkMetrics(text: string) {
  const result = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("API /metrics with trace export on", () => {
  it.each([
    ["no Accept header", undefined],
    ["text/plain;version=0.0.4", "text/plain;version=0.0.4"],
    ["text/plain", "text/plain"],
    ["*/*", "*/*"],
    ["OpenMetrics refused (q=0)", "application/openmetrics-text;q=0, text/plain"],
  ])(
    "answers Prometheus' text format to %s, which promtool checks clean",
    async (_name, accept) => {
      const { contentType, body } = await scrape(apiMetricsUrl, accept);
      expect(contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
      expect(body).toContain("gridpulse_api_request_duration_seconds_bucket{");
      expect(body).toContain("# TYPE gridpulse_api_rate_limited_total counter");
      expect(body).not.toContain(traceId);
      expect(body).not.toContain("# EOF");
      expect(checkMetrics(body)).toEqual({ status: 0, output: "" });
    },
  );

  it.each([
    ["application/openmetrics-text", "application/openmetrics-text; version=1.0.0"],
    ["Prometheus' own Accept header", prometheusAccept],
  ])("answers OpenMetrics with trace ids as exemplars to %s", async (_name, accept) => {
    const { contentType, body } = await scrape(apiMetricsUrl, accept);
    expect(contentType).toBe("application/openmetrics-text; version=1.0.0; charset=utf-8");
    expect(body).toMatch(
      new RegExp(
        `^gridpulse_api_request_duration_seconds_bucket\\{.*\\} 1 # \\{trace_id="${traceId}"\\} `,
        "m",
      ),
    );
    expect(body).toContain("# TYPE gridpulse_api_rate_limited counter\n");
    expect(body).toMatch(/^gridpulse_api_rate_limited_total 0$/m);
    expect(body.endsWith("# EOF\n")).toBe(true);
    // An OpenMetrics scrape leaves the text format as it was (counters keep their _total name).
    const text = await scrape(apiMetricsUrl, "text/plain");
    expect(text.body).toContain("# TYPE gridpulse_api_rate_limited_total counter");
    expect(checkMetrics(text.body)).toEqual({ status: 0, output: "" });
  });
});

describe("stream worker /metrics", () => {
  it("passes promtool check metrics", async () => {
    const { contentType, body } = await scrape(`${worker.url}/metrics`);
    expect(contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(body).toContain("gridpulse_stream_events_processed_total");
    expect(body).toContain("nodejs_active_handles");
    expect(checkMetrics(body)).toEqual({ status: 0, output: "" });
  });
});
