/**
 * Where the API's own RequestEvents go. Hosts plug in a sink (Node: Kafka producer in the background;
 * Workers: batches posted to the stream worker's ingest endpoint with waitUntil). Recording never
 * waits for delivery; what cannot be delivered is counted by the sink.
 */
import type { RequestEventInput } from "../../core/events/request-event.ts";

/** Trace context of the event that is not part of the RequestEvent itself. */
export interface RecordedTrace {
  /**
   * The W3C `tracestate` that goes with the event's `traceparent` (normalised; set only when the
   * event has a traceparent). The Node sink sends it as a `tracestate` Kafka header; the ingest
   * endpoint (Workers) takes event bodies only, so it does not travel there.
   */
  tracestate?: string;
}

export interface TelemetrySink {
  record(event: RequestEventInput, trace?: RecordedTrace): void;
}

export const noTelemetry: TelemetrySink = { record: () => {} };
