/**
 * Outbound `traceparent`: the active OpenTelemetry context through the registered propagator when
 * there is one; the active span's context formatted by hand when no propagator is registered; else a
 * fresh, unsampled trace id so the receiver can still correlate its logs with gridpulse's attempt log.
 */
import { randomBytes } from "node:crypto";
import { context, isSpanContextValid, propagation, trace } from "@opentelemetry/api";

export function outboundTraceparent(): string {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  if (carrier.traceparent) return carrier.traceparent;
  const span = trace.getSpanContext(context.active());
  if (span && isSpanContextValid(span)) {
    return `00-${span.traceId}-${span.spanId}-${(span.traceFlags & 1).toString(16).padStart(2, "0")}`;
  }
  return `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-00`;
}
