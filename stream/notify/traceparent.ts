/**
 * Outbound W3C trace context: the active OpenTelemetry context through the registered propagator when
 * there is one; the active span's context formatted by hand when no propagator is registered; else a
 * fresh, unsampled trace id so the receiver can still correlate its logs with gridpulse's attempt log.
 * The `tracestate` of that context goes along with the `traceparent` (W3C Trace Context §3.3); a
 * fresh trace has none.
 */
import { randomBytes } from "node:crypto";
import { context, isSpanContextValid, propagation, trace } from "@opentelemetry/api";
import { traceparentOf, tracestateOf } from "../../core/observability/trace-context.ts";

export interface OutboundTraceHeaders {
  traceparent: string;
  tracestate?: string;
}

export function outboundTraceHeaders(): OutboundTraceHeaders {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  if (carrier.traceparent) {
    return carrier.tracestate
      ? { traceparent: carrier.traceparent, tracestate: carrier.tracestate }
      : { traceparent: carrier.traceparent };
  }
  const span = trace.getSpanContext(context.active());
  if (span && isSpanContextValid(span)) {
    const traceparent = traceparentOf(span);
    const tracestate = tracestateOf(span);
    return tracestate ? { traceparent, tracestate } : { traceparent };
  }
  return {
    traceparent: `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-00`,
  };
}

export const outboundTraceparent = (): string => outboundTraceHeaders().traceparent;
