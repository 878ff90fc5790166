/**
 * W3C trace context as text, shared by the API and the stream worker: parsing a `traceparent` into an
 * OpenTelemetry span context and formatting one back. Runtime-neutral (`@opentelemetry/api` only).
 */
import { type SpanContext, TraceFlags } from "@opentelemetry/api";

const traceparentPattern = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/;
const allZero = /^0+$/;

/** The remote span context a traceparent names; undefined when malformed or all-zero. */
export function spanContextFrom(traceparent: string): SpanContext | undefined {
  const m = traceparentPattern.exec(traceparent);
  if (!m || m[1] === "ff" || allZero.test(m[2] as string) || allZero.test(m[3] as string))
    return undefined;
  return {
    traceId: m[2] as string,
    spanId: m[3] as string,
    traceFlags: Number.parseInt(m[4] as string, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
}

/** `00-<trace id>-<span id>-<flags>` of a span context. */
export const traceparentOf = (span: SpanContext): string =>
  `00-${span.traceId}-${span.spanId}-${span.traceFlags & TraceFlags.SAMPLED ? "01" : "00"}`;
