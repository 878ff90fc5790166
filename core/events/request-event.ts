/**
 * RequestEvent: one served HTTP request, as published to `telemetry.requests.v1` (key = service).
 * Good for availability means `status < 500`; latency SLIs compare `durationMs` with a threshold.
 */
import { z } from "zod";
import { eventTimestamp } from "./timestamp.ts";

export const httpMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

const maxDurationMs = 24 * 60 * 60 * 1000;

/**
 * A route pattern: '/', then no whitespace, '?' or '#', and no control character (C0, DEL, C1); and
 * no lone UTF-16 surrogate (`wellFormed`). Neither survives a round trip through libSQL (NUL cuts the
 * text, a lone surrogate becomes U+FFFD): stage 2 would read its own rows back under another route,
 * overwrite their counts and admit one route twice under the series cap. (Plain ranges, no `\p{…}`:
 * the published JSON Schema's pattern reads the same with or without a validator's unicode flag.)
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the class names control characters to refuse them
export const routePattern = /^\/[^\s?#\u0000-\u001f\u007f-\u009f]*$/;
/** Text of a label-like field (a region): no control character, for the same reason. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above
export const plainTextPattern = /^[^\u0000-\u001f\u007f-\u009f]*$/;
/** No lone surrogate (`String.prototype.isWellFormed`). */
export const wellFormed = (text: string) => text.isWellFormed();

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
    .regex(
      routePattern,
      "must be a route pattern starting with '/' (no query, fragment or control characters)",
    )
    .refine(wellFormed, "must be well-formed Unicode (no lone surrogate)"),
  method: z.enum(httpMethods),
  status: z.number().int().min(100).max(599),
  durationMs: z.number().finite().min(0).max(maxDurationMs),
  region: z
    .string()
    .min(1)
    .max(64)
    .regex(plainTextPattern, "must not contain control characters")
    .refine(wellFormed, "must be well-formed Unicode (no lone surrogate)")
    .optional(),
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
