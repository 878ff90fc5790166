import { context, trace } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { afterAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { parseEnv, tracingVars } from "../../core/config/env.ts";
import type { RequestEventInput } from "../../core/events/request-event.ts";
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

describe("request spans follow the HTTP semantic conventions", () => {
  const spanNamed = async (name: string) => {
    await tracing.flush();
    const span = exporter.getFinishedSpans().find((s) => s.name === name);
    expect(span, name).toBeDefined();
    return span as NonNullable<typeof span>;
  };

  it("records the Host as server.address and server.port, and url.scheme", async () => {
    const h = await createHarness({ tracing: true });
    exporter.reset();
    await h.call("/health/live", undefined, { headers: { host: "api.example.com:8443" } });
    const span = await spanNamed("GET /health/live");
    expect(span.attributes).toMatchObject({
      "http.request.method": "GET",
      "url.scheme": "http",
      "url.path": "/health/live",
      "server.address": "api.example.com",
      "server.port": 8443,
      "http.route": "/health/live",
      "http.response.status_code": 200,
    });
  });

  it("gives an unmatched request no http.route and names its span by the method alone", async () => {
    const h = await createHarness({ tracing: true });
    exporter.reset();
    const res = await h.call("/no/such/path", undefined);
    expect(res.status).toBe(404);
    const span = await spanNamed("GET");
    expect(span.attributes).not.toHaveProperty("http.route");
    expect(span.attributes["http.response.status_code"]).toBe(404);
    expect(span.attributes["url.path"]).toBe("/no/such/path");
  });

  it("records an unknown method as _OTHER with the original, and names the span HTTP", async () => {
    const h = await createHarness({ tracing: true });
    exporter.reset();
    await h.call("/v1/me", undefined, { method: "PROPFIND" });
    await tracing.flush();
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toMatch(/^HTTP( |$)/);
    expect(span?.attributes).toMatchObject({
      "http.request.method": "_OTHER",
      "http.request.method_original": "PROPFIND",
    });
  });
});

describe("caller trace context", () => {
  const T = traceId;
  const S = callerSpan;
  /** A sink that keeps what the middleware hands it besides the event. */
  const capture = () => {
    const recorded: { traceparent?: string; tracestate?: string }[] = [];
    const telemetry = () => ({
      record: (event: RequestEventInput, trace?: { tracestate?: string }) =>
        recorded.push({
          ...(event.traceparent ? { traceparent: event.traceparent } : {}),
          ...(trace?.tracestate ? { tracestate: trace.tracestate } : {}),
        }),
    });
    return { recorded, telemetry };
  };

  it("without tracing, passes on only a traceparent that parses, as version 00 (W3C §3.2)", async () => {
    const { recorded, telemetry } = capture();
    const h = await createHarness({ telemetry });
    const cases: [string, string | undefined][] = [
      [`00-${T}-${S}-01`, `00-${T}-${S}-01`],
      [`00-${T}-${S}-09`, `00-${T}-${S}-01`],
      [`01-${T}-${S}-01-abcdef`, `00-${T}-${S}-01`],
      [`cc-${T}-${S}-01-what-the-future-will-be-like`, `00-${T}-${S}-01`],
      [`ff-${T}-${S}-01`, undefined],
      [`00-${"0".repeat(32)}-${S}-01`, undefined],
      [`00-${T}-${"0".repeat(16)}-01`, undefined],
      [`00-${T.toUpperCase()}-${S}-01`, undefined],
      [`00-${T}-${S}-01-extra`, undefined],
    ];
    for (const [sent] of cases)
      await h.call("/health/live", undefined, { headers: { traceparent: sent } });
    expect(recorded.map((r) => r.traceparent)).toEqual(cases.map(([, expected]) => expected));
  });

  it("without tracing, hands the sink the caller's tracestate (W3C §3.3) with a valid traceparent", async () => {
    const { recorded, telemetry } = capture();
    const h = await createHarness({ telemetry });
    const send = (traceparent: string, tracestate: string) =>
      h.call("/health/live", undefined, { headers: { traceparent, tracestate } });
    await send(`00-${T}-${S}-01`, "congo=t61rcWkgMzE, rojo=00f067aa0ba902b7");
    await send(`00-${T}-${S}-01`, "Bad Key=1");
    await send(`ff-${T}-${S}-01`, "rojo=1");
    expect(recorded).toEqual([
      { traceparent: `00-${T}-${S}-01`, tracestate: "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7" },
      { traceparent: `00-${T}-${S}-01` },
      {},
    ]);
  });

  it("with tracing, the request's span carries the caller's tracestate on to the sink", async () => {
    const { recorded, telemetry } = capture();
    const h = await createHarness({ tracing: true, telemetry });
    exporter.reset();
    await h.call("/health/live", undefined, {
      headers: { traceparent: `00-${T}-${S}-01`, tracestate: "rojo=00f067aa0ba902b7" },
    });
    await tracing.flush();
    const span = exporter.getFinishedSpans().find((s) => s.name === "GET /health/live");
    expect(span?.parentSpanContext?.spanId).toBe(S);
    expect(span?.spanContext().traceState?.serialize()).toBe("rojo=00f067aa0ba902b7");
    expect(recorded.at(-1)).toEqual({
      traceparent: `00-${T}-${span?.spanContext().spanId}-01`,
      tracestate: "rojo=00f067aa0ba902b7",
    });
  });

  it("with tracing, continues a future version's trace and starts a new one for an invalid traceparent", async () => {
    const h = await createHarness({ tracing: true });
    exporter.reset();
    await h.call("/health/live", undefined, {
      headers: { traceparent: `cc-${T}-${S}-01-what-the-future-will-be-like` },
    });
    await h.call("/health/live", undefined, { headers: { traceparent: `ff-${T}-${S}-01` } });
    await tracing.flush();
    const [future, invalid] = exporter.getFinishedSpans();
    expect(future?.spanContext().traceId).toBe(T);
    expect(future?.parentSpanContext?.spanId).toBe(S);
    expect(invalid?.spanContext().traceId).not.toBe(T);
    expect(invalid?.parentSpanContext).toBeUndefined();
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
