/**
 * RequestEvent: one served HTTP request, as published to `telemetry.requests.v1` (key = service).
 * Good for availability means `status < 500`; latency SLIs compare `durationMs` with a threshold.
 */
import { z } from "zod";
import { eventTimestamp } from "./timestamp.ts";

export const httpMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

const maxDurationMs = 24 * 60 * 60 * 1000;

/**
 * Well-formed UTF-16 in a character-class alternation: any code unit outside the surrogates, or a high
 * surrogate followed by a low one. It reads the same with or without a validator's `u` flag (with it,
 * a pair is one code point outside the surrogate range, and a lone surrogate is one inside it), so
 * the published JSON Schema refuses lone surrogates wherever it is checked.
 */
const wellFormedOf = (excluded: string) =>
  `(?:[^${excluded}\\ud800-\\udfff]|[\\ud800-\\udbff][\\udc00-\\udfff])*`;
/** C0, DEL and C1 control characters. */
const controls = "\\u0000-\\u001f\\u007f-\\u009f";

/**
 * A route pattern: '/', then no whitespace, '?' or '#', no control character (C0, DEL, C1) and no lone
 * UTF-16 surrogate. Neither survives a round trip through libSQL (NUL cuts the text, a lone surrogate
 * becomes U+FFFD): stage 2 would read its own rows back under another route, overwrite their counts
 * and admit one route twice under the series cap. (Plain ranges, no `\p{…}`: the published JSON
 * Schema's pattern reads the same with or without a validator's unicode flag.)
 */
export const routePattern = new RegExp(`^\\/${wellFormedOf(`\\s?#${controls}`)}$`);
/** Text of a label-like field (a region): no control character or lone surrogate, for the same reason. */
export const plainTextPattern = new RegExp(`^${wellFormedOf(controls)}$`);

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
      "must be a route pattern starting with '/' (no query, fragment, control characters or lone surrogates)",
    ),
  method: z.enum(httpMethods),
  status: z.number().int().min(100).max(599),
  durationMs: z.number().finite().min(0).max(maxDurationMs),
  region: z
    .string()
    .min(1)
    .max(64)
    .regex(plainTextPattern, "must not contain control characters or lone surrogates")
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
