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
  TraceFlags,
  trace,
} from "@opentelemetry/api";

export const tracer = () => trace.getTracer("gridpulse-stream");

const traceparentPattern = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/;

export function spanContextFrom(traceparent: string): SpanContext | undefined {
  const m = traceparentPattern.exec(traceparent);
  if (!m || m[1] === "ff" || /^0+$/.test(m[2] as string) || /^0+$/.test(m[3] as string))
    return undefined;
  return {
    traceId: m[2] as string,
    spanId: m[3] as string,
    traceFlags: Number.parseInt(m[4] as string, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
}

/**
 * Runs `work` inside a batch span linked to the given traces; each sampled traceparent also gets a
 * child span (`<name>.event`) that ends with the batch.
 */
export async function withBatchSpan<T>(
  name: string,
  attributes: Record<string, string | number>,
  traceparents: readonly string[],
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const contexts = traceparents
    .map(spanContextFrom)
    .filter((c): c is SpanContext => c !== undefined);
  const links: Link[] = contexts.map((c) => ({ context: c }));
  const t = tracer();
  const span = t.startSpan(name, { kind: SpanKind.CONSUMER, attributes, links });
  const children = contexts.map((parent) =>
    t.startSpan(
      `${name}.event`,
      { kind: SpanKind.CONSUMER, attributes },
      trace.setSpanContext(context.active(), parent),
    ),
  );
  try {
    return await context.with(trace.setSpan(context.active(), span), () => work(span));
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: 2, message: (error as Error).message });
    throw error;
  } finally {
    for (const child of children) child.end();
    span.end();
  }
}
