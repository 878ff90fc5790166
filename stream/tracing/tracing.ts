/**
 * Tracing through @opentelemetry/api only (a no-op until the process registers an SDK). A fetched
 * batch gets a `receive <topic>` span (CLIENT) linked to the traces of the events it carries, and
 * each sampled event's trace is continued by a `process <topic>` child span (CONSUMER) of its W3C
 * traceparent, carrying the tracestate that came with it, so a request can be followed from the edge
 * into the aggregation. Names and attributes follow the OpenTelemetry messaging semantic conventions
 * (core/observability/semconv.ts).
 */
import {
  context,
  type Link,
  type Span,
  type SpanContext,
  SpanKind,
  trace,
} from "@opentelemetry/api";
import {
  type KafkaConsumed,
  kafkaConsumerAttributes,
  kafkaConsumerSpanName,
} from "../../core/observability/semconv.ts";
import { spanContextFrom, traceparentOf } from "../../core/observability/trace-context.ts";

export { spanContextFrom, traceparentOf };

export const tracer = () => trace.getTracer("gridpulse-stream");

/** One fetched slice of a partition, as its spans describe it. */
export interface ConsumedBatch extends KafkaConsumed {
  /** The stage consuming it (`gridpulse.stage`). */
  stage: string;
  messageCount: number;
}

/** A W3C trace context as text: a traceparent and the tracestate that came with it. */
export interface TraceHeaders {
  traceparent: string;
  tracestate?: string | undefined;
}

/**
 * Runs `work` inside the batch's `receive` span, linked to the given traces; each sampled one also
 * gets a `process` child span that ends with the batch. `continued(tp)`, for a `tp` given here, is
 * the traceparent of the child span continuing it, or `tp` as version 00 when nothing records it.
 * Traceparents that do not parse (W3C §3.2) are neither linked nor continued; callers pass on only
 * ones that parse.
 */
export async function withBatchSpan<T>(
  batch: ConsumedBatch,
  traces: readonly (string | TraceHeaders)[],
  work: (span: Span, continued: (traceparent: string) => string) => Promise<T>,
): Promise<T> {
  const parents = new Map<string, SpanContext>();
  for (const t of traces) {
    const headers = typeof t === "string" ? { traceparent: t } : t;
    const c = spanContextFrom(headers.traceparent, headers.tracestate);
    if (c) parents.set(headers.traceparent, c);
  }
  const links: Link[] = [...parents.values()].map((c) => ({ context: c }));
  const t = tracer();
  const stage = { "gridpulse.stage": batch.stage };
  const span = t.startSpan(kafkaConsumerSpanName("receive", batch.topic), {
    kind: SpanKind.CLIENT,
    attributes: { ...kafkaConsumerAttributes("receive", batch, batch.messageCount), ...stage },
    links,
  });
  const processName = kafkaConsumerSpanName("process", batch.topic);
  const processAttributes = { ...kafkaConsumerAttributes("process", batch), ...stage };
  const children = new Map<string, Span>();
  for (const [tp, parent] of parents) {
    children.set(
      tp,
      t.startSpan(
        processName,
        { kind: SpanKind.CONSUMER, attributes: processAttributes },
        trace.setSpanContext(context.active(), parent),
      ),
    );
  }
  const continued = (tp: string) => {
    const child = children.get(tp);
    if (child?.isRecording()) return traceparentOf(child.spanContext());
    const parent = parents.get(tp);
    return parent ? traceparentOf(parent) : tp;
  };
  try {
    return await context.with(trace.setSpan(context.active(), span), () => work(span, continued));
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: 2, message: (error as Error).message });
    throw error;
  } finally {
    for (const child of children.values()) child.end();
    span.end();
  }
}
