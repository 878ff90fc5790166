import { SpanKind, trace } from "@opentelemetry/api";
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
const batch = {
  stage: "aggregate",
  topic: "telemetry.requests.v1",
  partition: 2,
  consumerGroup: "gridpulse-aggregate",
  messageCount: 3,
};

describe("batch tracing", () => {
  it("wraps a batch in a span linked to its events' traces and continues each sampled trace", async () => {
    exporter.reset();
    const result = await withBatchSpan(
      batch,
      [`00-${traceId}-${parentSpanId}-01`],
      async () => "done",
    );
    expect(result).toBe("done");
    const spans = exporter.getFinishedSpans();
    const received = spans.find((s) => s.name === "receive telemetry.requests.v1");
    const child = spans.find((s) => s.name === "process telemetry.requests.v1");
    expect(received?.links.map((l) => l.context.traceId)).toEqual([traceId]);
    // The event's trace continues: same trace id, parent = the producer's span.
    expect(child?.spanContext().traceId).toBe(traceId);
    expect(child?.parentSpanContext?.spanId).toBe(parentSpanId);
  });

  it("gives the traceparent of the span continuing each trace, for the batch's output", async () => {
    exporter.reset();
    const incoming = `00-${traceId}-${parentSpanId}-01`;
    const out = await withBatchSpan(batch, [incoming], async (_s, continued) =>
      continued(incoming),
    );
    const child = exporter
      .getFinishedSpans()
      .find((s) => s.name === "process telemetry.requests.v1");
    expect(out).toBe(`00-${traceId}-${child?.spanContext().spanId}-01`);
    expect(out).not.toBe(incoming);
  });

  it("records failures on the batch span", async () => {
    exporter.reset();
    await expect(
      withBatchSpan({ ...batch, stage: "evaluate" }, [], async () =>
        Promise.reject(new Error("db down")),
      ),
    ).rejects.toThrow("db down");
    const [span] = exporter.getFinishedSpans();
    expect(span?.status.code).toBe(2);
    expect(span?.events.some((e) => e.name === "exception")).toBe(true);
  });

  it("names and describes its spans after the messaging semantic conventions", async () => {
    exporter.reset();
    await withBatchSpan(batch, [`00-${traceId}-${parentSpanId}-01`], async () => undefined);
    const spans = exporter.getFinishedSpans();
    const received = spans.find((s) => s.name === "receive telemetry.requests.v1");
    const processed = spans.find((s) => s.name === "process telemetry.requests.v1");
    const common = {
      "messaging.system": "kafka",
      "messaging.destination.name": "telemetry.requests.v1",
      "messaging.destination.partition.id": "2",
      "messaging.consumer.group.name": "gridpulse-aggregate",
      "gridpulse.stage": "aggregate",
    };
    expect(received?.kind).toBe(SpanKind.CLIENT);
    expect(received?.attributes).toEqual({
      ...common,
      "messaging.operation.type": "receive",
      "messaging.operation.name": "receive",
      "messaging.batch.message_count": 3,
    });
    expect(processed?.kind).toBe(SpanKind.CONSUMER);
    expect(processed?.attributes).toEqual({
      ...common,
      "messaging.operation.type": "process",
      "messaging.operation.name": "process",
    });
  });

  it("continues a trace with its tracestate; a trace it does not record is passed on as version 00", async () => {
    exporter.reset();
    const sampled = `01-${traceId}-${parentSpanId}-01-future`;
    const unsampled = `cc-${"1".repeat(32)}-${parentSpanId}-00-what-the-future-will-be-like`;
    const out = await withBatchSpan(
      batch,
      [{ traceparent: sampled, tracestate: "rojo=1, congo=2" }, unsampled, "junk"],
      async (_s, continued) => [continued(sampled), continued(unsampled)],
    );
    const child = exporter
      .getFinishedSpans()
      .find((s) => s.name === "process telemetry.requests.v1");
    expect(child?.spanContext().traceState?.serialize()).toBe("rojo=1,congo=2");
    expect(out).toEqual([
      `00-${traceId}-${child?.spanContext().spanId}-01`,
      `00-${"1".repeat(32)}-${parentSpanId}-00`,
    ]);
  });

  it("ignores malformed and all-zero traceparents", () => {
    expect(spanContextFrom("nope")).toBeUndefined();
    expect(spanContextFrom(`00-${"0".repeat(32)}-${parentSpanId}-01`)).toBeUndefined();
    expect(spanContextFrom(`00-${traceId}-${parentSpanId}-00`)?.traceFlags).toBe(0);
  });
});
