import { context, trace } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { afterAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { parseEnv, tracingVars } from "../../core/config/env.ts";
import { silentLogger } from "../../core/observability/logger.ts";
import { startTracing } from "../../platform/tracing.ts";
import { noTelemetry } from "../telemetry/telemetry-sink.ts";
import { createHarness } from "../testing/harness.ts";

const exporter = new InMemorySpanExporter();
const tracing = startTracing(
  { ...parseEnv("test", z.object(tracingVars), {}), OTEL_TRACES_EXPORTER: "console" },
  { serviceName: "api-test", logger: silentLogger, exporter },
);
afterAll(async () => {
  await tracing.shutdown();
  trace.disable();
  context.disable();
});

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const callerSpan = "00f067aa0ba902b7";

describe("request spans (trace export on)", () => {
  it("continues the caller's trace; the RequestEvent and the log lines name the request's span", async () => {
    const h = await createHarness({ tracing: true });
    const { key } = await h.tenant();
    await h.call("/v1/api-keys/key_AAAAAAAAAAAAAAAA", key, {
      headers: { traceparent: `00-${traceId}-${callerSpan}-01` },
    });
    await tracing.flush();
    const span = exporter.getFinishedSpans().find((s) => s.name === "GET /v1/api-keys/:id");
    expect(span?.spanContext().traceId).toBe(traceId);
    expect(span?.parentSpanContext?.spanId).toBe(callerSpan);
    expect(span?.attributes).toMatchObject({
      "http.route": "/v1/api-keys/:id",
      "http.response.status_code": 404,
    });
    const spanId = span?.spanContext().spanId;
    expect(h.events.at(-1)?.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    const access = h.logs.filter((l) => l.record.msg === "request").at(-1);
    expect(access?.record).toMatchObject({ trace_id: traceId, span_id: spanId });
  });

  it("starts a sampled root trace when the caller sends none; 5xx marks the span as failed", async () => {
    const h = await createHarness({ tracing: true });
    exporter.reset();
    await h.call("/health/live", undefined);
    await tracing.flush();
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe("GET /health/live");
    expect(span?.parentSpanContext).toBeUndefined();
    expect(h.events.at(-1)?.traceparent).toBe(
      `00-${span?.spanContext().traceId}-${span?.spanContext().spanId}-01`,
    );
  });

  it("without tracing, passes the caller's traceparent on and writes no trace ids", async () => {
    const h = await createHarness();
    const traceparent = `00-${traceId}-${callerSpan}-01`;
    await h.call("/health/live", undefined, { headers: { traceparent } });
    expect(h.events.at(-1)?.traceparent).toBe(traceparent);
    expect(h.logs.at(-1)?.record).not.toHaveProperty("trace_id");
  });
});

describe("telemetry off", () => {
  it("builds no RequestEvent when the host records none, and still logs and counts the request", async () => {
    const h = await createHarness({ telemetry: () => noTelemetry });
    const record = vi.spyOn(noTelemetry, "record");
    try {
      const { key } = await h.tenant();
      expect((await h.call("/v1/me", key)).status).toBe(200);
      expect(record).not.toHaveBeenCalled();
      expect(h.logs.filter((l) => l.record.msg === "request").at(-1)?.record).toMatchObject({
        route: "/v1/me",
        status: 200,
      });
    } finally {
      record.mockRestore();
    }
  });
});
