/**
 * Where the API's own RequestEvents go. Hosts plug in a sink (Node: Kafka producer in the background;
 * Workers: batches posted to the stream worker's ingest endpoint with waitUntil). Recording never
 * waits for delivery; what cannot be delivered is counted by the sink.
 */
import type { RequestEventInput } from "../../core/events/request-event.ts";

export interface TelemetrySink {
  record(event: RequestEventInput): void;
}

export const noTelemetry: TelemetrySink = { record: () => {} };
