/**
 * RequestEvent: one served HTTP request, as published to `telemetry.requests.v1` (key = service).
 * Good for availability means `status < 500`; latency SLIs compare `durationMs` with a threshold.
 */
import { z } from "zod";
import { eventTimestamp } from "./timestamp.ts";

export const httpMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

const maxDurationMs = 24 * 60 * 60 * 1000;

export const requestEventSchema = z.strictObject({
  id: z.string().min(1).max(128),
  ts: eventTimestamp,
  service: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9._-]+$/, "may contain only letters, digits, '.', '_' and '-'"),
  route: z
    .string()
    .min(1)
    .max(200)
    .regex(/^\/[^\s?#]*$/, "must be a route pattern starting with '/' (no query or fragment)"),
  method: z.enum(httpMethods),
  status: z.number().int().min(100).max(599),
  durationMs: z.number().finite().min(0).max(maxDurationMs),
  region: z.string().min(1).max(64).optional(),
  traceparent: z
    .string()
    .regex(/^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/, "must be a W3C traceparent")
    .optional(),
});

/** A validated event; `ts` is epoch milliseconds whatever form it arrived in. */
export type RequestEvent = z.output<typeof requestEventSchema>;
/** What producers may send: `ts` as RFC 3339 or epoch milliseconds. */
export type RequestEventInput = z.input<typeof requestEventSchema>;

export function isGoodForAvailability(event: Pick<RequestEvent, "status">): boolean {
  return event.status < 500;
}
