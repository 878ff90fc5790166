/**
 * Node-only telemetry sink: the API's RequestEvents are serialized into a bounded in-memory buffer and
 * produced to `telemetry.requests.v1` in batches by a background timer, so a request never waits for
 * Kafka. One batch is in flight at a time, and the producer (idempotent, retrying without limit) keeps
 * resending that same batch while the broker is away, so delivery resumes in order, without
 * duplicates, once it is back. Meanwhile new events wait in the buffer up to `maxBufferBytes`; beyond
 * it the oldest waiting events are dropped. Every event ends up counted once: delivered, or dropped
 * with a reason (buffer full, refused by the broker, still buffered when the shutdown flush ran out
 * of time). An event recorded with a W3C `tracestate` is sent with `traceparent` and `tracestate`
 * Kafka headers (the pair travels together; the event's own `traceparent` field stays as it is).
 */
import type { Producer } from "kafkajs";
import type { Logger } from "../../../core/observability/logger.ts";
import type { TelemetrySink } from "../../telemetry/telemetry-sink.ts";

export type TelemetryOutcome =
  | "delivered"
  | "dropped_buffer_full"
  | "dropped_rejected"
  | "dropped_shutdown";

export interface KafkaTelemetryOptions {
  producer: Pick<Producer, "send">;
  topic: string;
  logger: Logger;
  /** Events recorded (each is later counted once under an outcome, or is still buffered). */
  recorded: (n: number) => void;
  count: (outcome: TelemetryOutcome, n: number) => void;
  flushIntervalMs?: number;
  maxBatch?: number;
  /** Serialized bytes (keys and values) held at most, the batch in flight included. */
  maxBufferBytes?: number;
  /** A send taking longer than this is logged once as stalled (and its end as resumed). */
  stallLogMs?: number;
  now?: () => number;
}

export interface KafkaTelemetrySink extends TelemetrySink {
  /**
   * Sends what is buffered; resolves when the buffer is empty or Kafka is unreachable (then the
   * timer tries again after a backoff of up to 5 s).
   */
  flush(): Promise<void>;
  /**
   * Stops the timer and flushes for at most `timeoutMs`; what is still buffered then is counted as
   * `dropped_shutdown` (a batch in flight may still reach the broker).
   */
  stop(timeoutMs: number): Promise<void>;
  buffered(): { events: number; bytes: number };
}

interface Entry {
  key: string;
  value: string;
  headers: Record<string, string> | undefined;
  bytes: number;
}

export function kafkaTelemetry(options: KafkaTelemetryOptions): KafkaTelemetrySink {
  const maxBatch = options.maxBatch ?? 1000;
  const maxBufferBytes = options.maxBufferBytes ?? 8 * 1024 * 1024;
  const maxBatchBytes = Math.min(512 * 1024, Math.floor(maxBufferBytes / 2));
  const stallLogMs = options.stallLogMs ?? 2000;
  const now = options.now ?? Date.now;
  const { logger } = options;

  // A FIFO queue as an array with a moving head (compacted now and then).
  let queue: Entry[] = [];
  let head = 0;
  let queuedBytes = 0;
  let inFlight: Entry[] = [];
  let inFlightBytes = 0;
  let sending: Promise<void> | undefined;
  let stopped = false;
  let dropsSinceLog = 0;
  let lastDropLog = 0;

  const queued = () => queue.length - head;

  const dropOldest = () => {
    const entry = queue[head] as Entry;
    queue[head] = undefined as unknown as Entry;
    head++;
    queuedBytes -= entry.bytes;
    options.count("dropped_buffer_full", 1);
    dropsSinceLog++;
    const t = now();
    if (t - lastDropLog >= 10_000) {
      logger.warn("telemetry buffer full: oldest events dropped", {
        dropped: dropsSinceLog,
        maxBufferBytes,
      });
      dropsSinceLog = 0;
      lastDropLog = t;
    }
  };

  const takeBatch = () => {
    const batch: Entry[] = [];
    let bytes = 0;
    while (head < queue.length && batch.length < maxBatch) {
      const entry = queue[head] as Entry;
      if (batch.length > 0 && bytes + entry.bytes > maxBatchBytes) break;
      queue[head] = undefined as unknown as Entry;
      head++;
      batch.push(entry);
      bytes += entry.bytes;
    }
    if (head > 4096 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
    queuedBytes -= bytes;
    return { batch, bytes };
  };

  let retryAt = 0;
  let backoffMs = 0;
  let stalledSince: number | undefined;

  /** Sends the batch in flight once: true when it is settled (delivered or refused). */
  const sendInFlight = async (): Promise<boolean> => {
    const started = now();
    const stallTimer = setTimeout(() => markStalled(started), stallLogMs);
    stallTimer.unref();
    try {
      await options.producer.send({
        topic: options.topic,
        acks: -1,
        messages: inFlight.map(({ key, value, headers }) =>
          headers ? { key, value, headers } : { key, value },
        ),
      });
      if (!stopped) options.count("delivered", inFlight.length);
      if (stalledSince !== undefined)
        logger.info("telemetry delivery resumed", {
          stalledMs: now() - stalledSince,
          buffered: queued(),
        });
      stalledSince = undefined;
      backoffMs = 0;
    } catch (error) {
      if (!isRefused(error)) {
        // Kafka unreachable for longer than the producer's own reconnects: the same batch is sent
        // again (same sequence numbers, so a copy the broker already has is not written twice).
        markStalled(started, error);
        backoffMs = Math.min(5000, Math.max(250, backoffMs * 2));
        retryAt = now() + backoffMs;
        return false;
      }
      if (!stopped) options.count("dropped_rejected", inFlight.length);
      logger.warn("telemetry batch dropped: refused by Kafka", {
        events: inFlight.length,
        err: error,
      });
    } finally {
      clearTimeout(stallTimer);
    }
    inFlight = [];
    inFlightBytes = 0;
    return true;
  };

  const markStalled = (since: number, error?: unknown) => {
    if (stalledSince !== undefined) return;
    stalledSince = since;
    logger.warn("telemetry delivery stalled; buffering", {
      inFlight: inFlight.length,
      buffered: queued(),
      bufferedBytes: queuedBytes + inFlightBytes,
      ...(error ? { err: error } : {}),
    });
  };

  const drain = async () => {
    while (!stopped) {
      if (inFlight.length === 0) {
        if (queued() === 0) return;
        const { batch, bytes } = takeBatch();
        inFlight = batch;
        inFlightBytes = bytes;
      }
      if (!(await sendInFlight())) return;
    }
  };

  const pending = () => queued() > 0 || inFlight.length > 0;

  const flush = () => {
    if (now() < retryAt) return sending ?? Promise.resolve();
    sending ??= drain().finally(() => {
      sending = undefined;
    });
    return sending;
  };

  const timer = setInterval(() => void flush(), options.flushIntervalMs ?? 250);
  timer.unref();

  return {
    record(event, trace) {
      options.recorded(1);
      const key = event.service;
      const value = JSON.stringify(event);
      let bytes = Buffer.byteLength(key) + Buffer.byteLength(value);
      let headers: Record<string, string> | undefined;
      if (trace?.tracestate && event.traceparent) {
        headers = { traceparent: event.traceparent, tracestate: trace.tracestate };
        for (const [name, text] of Object.entries(headers))
          bytes += Buffer.byteLength(name) + Buffer.byteLength(text);
      }
      if (stopped || bytes > maxBufferBytes) {
        options.count(stopped ? "dropped_shutdown" : "dropped_buffer_full", 1);
        return;
      }
      queue.push({ key, value, headers, bytes });
      queuedBytes += bytes;
      while (queuedBytes + inFlightBytes > maxBufferBytes && queued() > 0) dropOldest();
    },
    flush,
    buffered: () => ({ events: queued() + inFlight.length, bytes: queuedBytes + inFlightBytes }),
    async stop(timeoutMs) {
      clearInterval(timer);
      let deadline: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((done) => {
        deadline = setTimeout(done, timeoutMs);
      });
      let timedOutFlag = false;
      void timedOut.then(() => {
        timedOutFlag = true;
      });
      await Promise.race([
        (async () => {
          while (pending() && !timedOutFlag) {
            await flush();
            if (pending()) await Promise.race([timedOut, sleep(Math.max(0, retryAt - now()))]);
          }
        })(),
        timedOut,
      ]);
      clearTimeout(deadline);
      stopped = true;
      const left = queued() + inFlight.length;
      if (left > 0) {
        options.count("dropped_shutdown", left);
        logger.warn("telemetry not delivered before shutdown", { events: left, timeoutMs });
      }
      queue = [];
      head = 0;
      queuedBytes = 0;
      inFlight = [];
      inFlightBytes = 0;
    },
  };
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms).unref());

/**
 * Whether Kafka refused the batch for good (a protocol error it marks non-retriable: record too
 * large, not authorized). Anything else (connections refused or closed, retries exhausted while
 * reconnecting, timeouts) means it is away, and the batch is kept.
 */
function isRefused(error: unknown): boolean {
  let current = error as { name?: string; retriable?: boolean; cause?: unknown } | undefined;
  for (let depth = 0; current && depth < 8; depth++) {
    if (current.name === "KafkaJSProtocolError") return current.retriable === false;
    current = current.cause as typeof current;
  }
  return false;
}
