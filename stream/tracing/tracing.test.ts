import { trace } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spanContextFrom, withBatchSpan } from "./tracing.ts";

const exporter = new InMemorySpanExporter();
beforeAll(() => {
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
});
afterAll(() => trace.disable());

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const parentSpanId = "00f067aa0ba902b7";

describe("batch tracing", () => {
  it("wraps a batch in a span linked to its events' traces and continues each sampled trace", async () => {
    exporter.reset();
    const result = await withBatchSpan(
      "gridpulse.aggregate.batch",
      { "messaging.kafka.partition": 2 },
      [`00-${traceId}-${parentSpanId}-01`],
      async () => "done",
    );
    expect(result).toBe("done");
    const spans = exporter.getFinishedSpans();
    const batch = spans.find((s) => s.name === "gridpulse.aggregate.batch");
    const child = spans.find((s) => s.name === "gridpulse.aggregate.batch.event");
    expect(batch?.attributes["messaging.kafka.partition"]).toBe(2);
    expect(batch?.links.map((l) => l.context.traceId)).toEqual([traceId]);
    // The event's trace continues: same trace id, parent = the producer's span.
    expect(child?.spanContext().traceId).toBe(traceId);
    expect(child?.parentSpanContext?.spanId).toBe(parentSpanId);
  });

  it("gives the traceparent of the span continuing each trace, for the batch's output", async () => {
    exporter.reset();
    const incoming = `00-${traceId}-${parentSpanId}-01`;
    const out = await withBatchSpan(
      "gridpulse.aggregate.batch",
      {},
      [incoming],
      async (_s, continued) => continued(incoming),
    );
    const child = exporter
      .getFinishedSpans()
      .find((s) => s.name === "gridpulse.aggregate.batch.event");
    expect(out).toBe(`00-${traceId}-${child?.spanContext().spanId}-01`);
    expect(out).not.toBe(incoming);
  });

  it("records failures on the batch span", async () => {
    exporter.reset();
    await expect(
      withBatchSpan("gridpulse.evaluate.batch", {}, [], async () =>
        Promise.reject(new Error("db down")),
      ),
    ).rejects.toThrow("db down");
    const [span] = exporter.getFinishedSpans();
    expect(span?.status.code).toBe(2);
    expect(span?.events.some((e) => e.name === "exception")).toBe(true);
  });

  it("ignores malformed and all-zero traceparents", () => {
    expect(spanContextFrom("nope")).toBeUndefined();
    expect(spanContextFrom(`00-${"0".repeat(32)}-${parentSpanId}-01`)).toBeUndefined();
    expect(spanContextFrom(`00-${traceId}-${parentSpanId}-00`)?.traceFlags).toBe(0);
  });
});
