/**
 * Tracing through @opentelemetry/api only (a no-op until the process registers an SDK). Batch spans
 * link to the traces of the events they carry, and each sampled event's trace is continued by a child
 * span of its W3C traceparent, so a request can be followed from the edge into the aggregation.
 */
import {
  context,
  type Link,
  type Span,
  type SpanContext,
  SpanKind,
  trace,
} from "@opentelemetry/api";
import { spanContextFrom, traceparentOf } from "../../core/observability/trace-context.ts";

export { spanContextFrom, traceparentOf };

export const tracer = () => trace.getTracer("gridpulse-stream");

/**
 * Runs `work` inside a batch span linked to the given traces; each sampled traceparent also gets a
 * child span (`<name>.event`) that ends with the batch. `continued(tp)` gives the traceparent of the
 * child span continuing `tp` (or `tp` itself when nothing is recorded), for the batch's output.
 */
export async function withBatchSpan<T>(
  name: string,
  attributes: Record<string, string | number>,
  traceparents: readonly string[],
  work: (span: Span, continued: (traceparent: string) => string) => Promise<T>,
): Promise<T> {
  const parents = new Map<string, SpanContext>();
  for (const tp of traceparents) {
    const c = spanContextFrom(tp);
    if (c) parents.set(tp, c);
  }
  const links: Link[] = [...parents.values()].map((c) => ({ context: c }));
  const t = tracer();
  const span = t.startSpan(name, { kind: SpanKind.CONSUMER, attributes, links });
  const children = new Map<string, Span>();
  for (const [tp, parent] of parents) {
    children.set(
      tp,
      t.startSpan(
        `${name}.event`,
        { kind: SpanKind.CONSUMER, attributes },
        trace.setSpanContext(context.active(), parent),
      ),
    );
  }
  const continued = (tp: string) => {
    const child = children.get(tp);
    return child?.isRecording() ? traceparentOf(child.spanContext()) : tp;
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
