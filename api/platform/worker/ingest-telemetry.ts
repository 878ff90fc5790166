/**
 * Workers telemetry sink: RequestEvents collect in the isolate for up to `flushDelayMs`, then one batch
 * is POSTed to the stream worker's ingest endpoint inside `waitUntil`, after the response has gone.
 * Events that cannot be delivered (full buffer, network error, non-2xx) are counted and logged with
 * the running totals, so a Workers log pipeline sees every loss.
 */
import type { RequestEventInput } from "../../../core/events/request-event.ts";
import type { Logger } from "../../../core/observability/logger.ts";

export interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

export interface IngestTelemetryOptions {
  url: string;
  token: string;
  logger: Logger;
  flushDelayMs?: number;
  maxBuffer?: number;
  fetch?: typeof fetch;
}

export function ingestTelemetry(options: IngestTelemetryOptions) {
  const maxBuffer = options.maxBuffer ?? 5000;
  const flushDelayMs = options.flushDelayMs ?? 1000;
  const send =
    options.fetch ?? ((input: string | URL | Request, init?: RequestInit) => fetch(input, init));
  let buffer: RequestEventInput[] = [];
  let scheduled = false;
  const totals = { delivered: 0, droppedBufferFull: 0, droppedSendFailed: 0 };

  const flush = async () => {
    scheduled = false;
    const batch = buffer;
    buffer = [];
    if (batch.length === 0) return;
    let failure: string | undefined;
    try {
      const res = await send(options.url, {
        method: "POST",
        headers: { Authorization: `Bearer ${options.token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ events: batch }),
      });
      if (!res.ok) failure = `ingest answered ${res.status}`;
      await res.body?.cancel();
    } catch (error) {
      failure = (error as Error).message;
    }
    if (failure) {
      totals.droppedSendFailed += batch.length;
      options.logger.warn("telemetry batch dropped", {
        events: batch.length,
        reason: failure,
        totals,
      });
    } else {
      totals.delivered += batch.length;
    }
  };

  return {
    totals,
    record(event: RequestEventInput, ctx: WaitUntil | undefined) {
      if (buffer.length >= maxBuffer) {
        totals.droppedBufferFull += 1;
        if (totals.droppedBufferFull % 1000 === 1) {
          options.logger.warn("telemetry buffer full: event dropped", { totals });
        }
        return;
      }
      buffer.push(event);
      if (!scheduled && ctx) {
        scheduled = true;
        ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, flushDelayMs)).then(flush));
      }
    },
    flush,
  };
}
