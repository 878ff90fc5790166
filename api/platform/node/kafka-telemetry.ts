/**
 * Node-only telemetry sink: the API's RequestEvents are buffered in memory and produced to
 * `telemetry.requests.v1` in batches by a background timer, so a request never waits for Kafka. A full
 * buffer or a failed send drops events — counted, and logged once per flush, never silent.
 */
import type { Producer } from "kafkajs";
import type { RequestEventInput } from "../../../core/events/request-event.ts";
import type { Logger } from "../../../core/observability/logger.ts";
import type { TelemetrySink } from "../../telemetry/telemetry-sink.ts";

export interface KafkaTelemetryOptions {
  producer: Producer;
  topic: string;
  logger: Logger;
  count: (outcome: "delivered" | "dropped_buffer_full" | "dropped_send_failed", n: number) => void;
  flushIntervalMs?: number;
  maxBatch?: number;
  maxBuffer?: number;
}

export function kafkaTelemetry(
  options: KafkaTelemetryOptions,
): TelemetrySink & { flush(): Promise<void>; stop(): Promise<void> } {
  const maxBatch = options.maxBatch ?? 1000;
  const maxBuffer = options.maxBuffer ?? 50_000;
  let buffer: RequestEventInput[] = [];
  let sending: Promise<void> = Promise.resolve();

  const sendBatch = async (batch: RequestEventInput[]) => {
    try {
      await options.producer.send({
        topic: options.topic,
        messages: batch.map((event) => ({ key: event.service, value: JSON.stringify(event) })),
      });
      options.count("delivered", batch.length);
    } catch (error) {
      options.count("dropped_send_failed", batch.length);
      options.logger.warn("telemetry batch dropped: send failed", {
        events: batch.length,
        err: error,
      });
    }
  };

  const flush = () => {
    sending = sending.then(async () => {
      while (buffer.length > 0) {
        const batch = buffer.slice(0, maxBatch);
        buffer = buffer.slice(batch.length);
        await sendBatch(batch);
      }
    });
    return sending;
  };

  const timer = setInterval(() => void flush(), options.flushIntervalMs ?? 250);
  timer.unref();

  return {
    record(event) {
      if (buffer.length >= maxBuffer) {
        options.count("dropped_buffer_full", 1);
        return;
      }
      buffer.push(event);
    },
    flush,
    async stop() {
      clearInterval(timer);
      await flush();
    },
  };
}
