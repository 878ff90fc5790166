/**
 * The hot-path twin of `requestEventSchema`: the same rules written as plain checks, about ten times
 * faster than zod on valid events (the stream worker validates 100,000+ events/s per process).
 * Anything the fast path does not accept goes through the zod schema, which stays the definition and
 * produces the error messages; RFC 3339 timestamps are read by the schema's own parser
 * (`rfc3339EpochMs`). A property test keeps the two in agreement (`request-event.fast.test.ts`). `decodeRequestEvent` first tries the byte reader
 * (`request-event.scan.ts`), which skips JSON.parse for the plain-ASCII events it can decide.
 */
import type { z } from "zod";
import { type Decoded, decodeEvent, maxEventBytes } from "./decode.ts";
import { newScannedRequestEvent, scannedEvent, scanRequestEvent } from "./request-event.scan.ts";
import {
  httpMethods,
  plainTextPattern,
  type RequestEvent,
  requestEventSchema,
  routePattern,
} from "./request-event.ts";
import { inEventTimeRange, rfc3339EpochMs } from "./timestamp.ts";

const allowedKeys = new Set([
  "id",
  "ts",
  "service",
  "route",
  "method",
  "status",
  "durationMs",
  "region",
  "traceparent",
]);
const methods = new Set<string>(httpMethods);
const servicePattern = /^[A-Za-z0-9._-]+$/;
const traceparentPattern = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;
const maxDurationMs = 24 * 60 * 60 * 1000;

function epochMs(ts: unknown): number | undefined {
  if (typeof ts === "number") return Number.isSafeInteger(ts) ? ts : undefined;
  if (typeof ts === "string") return rfc3339EpochMs(ts);
  return undefined;
}

const isString = (v: unknown, min: number, max: number): v is string =>
  typeof v === "string" && v.length >= min && v.length <= max;

/** The event if it passes every rule with an epoch-millisecond `ts`; otherwise undefined. */
export function fastRequestEvent(value: unknown): RequestEvent | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const o = value as Record<string, unknown>;
  for (const key in o) if (!allowedKeys.has(key)) return undefined;
  const { id, ts, service, route, method, status, durationMs, region, traceparent } = o;
  if (!isString(id, 1, 128)) return undefined;
  const tsMs = epochMs(ts);
  if (tsMs === undefined || !inEventTimeRange(tsMs)) return undefined;
  if (!isString(service, 1, 100) || !servicePattern.test(service)) return undefined;
  if (!isString(route, 1, 200) || !routePattern.test(route)) return undefined;
  if (typeof method !== "string" || !methods.has(method)) return undefined;
  if (typeof status !== "number" || !Number.isSafeInteger(status) || status < 100 || status > 599)
    return undefined;
  if (
    typeof durationMs !== "number" ||
    !Number.isFinite(durationMs) ||
    durationMs < 0 ||
    durationMs > maxDurationMs
  ) {
    return undefined;
  }
  if ("region" in o && (!isString(region, 1, 64) || !plainTextPattern.test(region)))
    return undefined;
  if (
    "traceparent" in o &&
    !(typeof traceparent === "string" && traceparentPattern.test(traceparent))
  )
    return undefined;
  if (tsMs !== ts) return { ...(o as unknown as RequestEvent), ts: tsMs };
  return o as unknown as RequestEvent;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

const scratch = newScannedRequestEvent();

/**
 * `decodeEvent(requestEventSchema, bytes)` with the fast paths in front: the byte reader
 * (`request-event.scan.ts`), then JSON.parse with the plain checks, then zod.
 */
export function decodeRequestEvent(bytes: Uint8Array | null | undefined): Decoded<RequestEvent> {
  if (bytes && scanRequestEvent(bytes, scratch))
    return { ok: true, value: scannedEvent(bytes, scratch) };
  return decodeParsedRequestEvent(bytes);
}

/** `decodeRequestEvent` without the byte reader (for events it did not decide). */
export function decodeParsedRequestEvent(
  bytes: Uint8Array | null | undefined,
): Decoded<RequestEvent> {
  if (bytes && bytes.byteLength > 0 && bytes.byteLength <= maxEventBytes) {
    let json: unknown;
    try {
      json = JSON.parse(utf8.decode(bytes));
    } catch {
      return decodeEvent(requestEventSchema, bytes);
    }
    const fast = fastRequestEvent(json);
    if (fast) return { ok: true, value: fast };
    const result = requestEventSchema.safeParse(json);
    if (result.success) return { ok: true, value: result.data };
    return decodeEvent(requestEventSchema as z.ZodType<RequestEvent>, bytes);
  }
  return decodeEvent(requestEventSchema, bytes);
}
