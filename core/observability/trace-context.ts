/**
 * W3C Trace Context (Level 1) as text, shared by the API and the stream worker: parsing a
 * `traceparent` (and its companion `tracestate`) into an OpenTelemetry span context and formatting
 * them back. Runtime-neutral (`@opentelemetry/api` only).
 *
 * - `traceparent` (§3.2): version `00` is exactly `00-<32 hex>-<16 hex>-<2 hex>` (lowercase); a
 *   higher version (never `ff`) is read from its first 55 characters when it is 55 characters long or
 *   has `-` right after them (§3.2.4). All-zero trace or parent ids are invalid. Sampled is bit 0 of
 *   the flags byte (§3.2.2.5); the other bits are not passed on. What gridpulse sends on is always
 *   version `00`.
 * - `tracestate` (§3.3): read only when the traceparent parsed. A list of at most 32 `key=value`
 *   members (§3.3.1's key and value syntax, unique keys; empty members and spaces around members are
 *   allowed); anything else drops the whole header. Passed on unchanged (members joined by `,`
 *   without spaces) up to 512 characters; a longer one loses members longer than 128 characters
 *   first, then members from the end, until it fits.
 */
import { createTraceState, type SpanContext, TraceFlags } from "@opentelemetry/api";

const traceparentLength = 55;
const traceparentPattern = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/;
const allZero = /^0+$/;

/**
 * The remote span context a traceparent names, with the tracestate that came with it (when valid);
 * undefined when the traceparent is malformed, of version `ff`, or names an all-zero id.
 */
export function spanContextFrom(traceparent: string, tracestate?: string): SpanContext | undefined {
  const length = traceparent.length;
  if (length < traceparentLength) return undefined;
  if (length > traceparentLength) {
    // Version 00 has exactly four fields; a higher version may add fields after a dash.
    if (traceparent.startsWith("00") || traceparent[traceparentLength] !== "-") return undefined;
  }
  const m = traceparentPattern.exec(
    length === traceparentLength ? traceparent : traceparent.slice(0, traceparentLength),
  );
  if (!m || m[1] === "ff" || allZero.test(m[2] as string) || allZero.test(m[3] as string))
    return undefined;
  const span: SpanContext = {
    traceId: m[2] as string,
    spanId: m[3] as string,
    traceFlags: Number.parseInt(m[4] as string, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  const state = tracestate === undefined ? undefined : normalTracestate(tracestate);
  if (state !== undefined) span.traceState = createTraceState(state);
  return span;
}

/**
 * Whether the last hex digit of a traceparent's flags byte, as a character code, sets the sampled
 * bit (bit 0, §3.2.2.5): its value is odd ('1', '3', …, 'b', 'd', 'f'). Only meaningful for a hex
 * digit; a traceparent with anything else there does not parse (`spanContextFrom`).
 */
export function sampledFlagsDigit(code: number): boolean {
  // '0'-'9' are 0x30-0x39 (odd code: odd digit); 'a'-'f' are 0x61-0x66 (10-15: odd code, even digit).
  return code <= 0x39 ? (code & 1) === 1 : (code & 1) === 0;
}

/**
 * Whether a traceparent's sampled flag is set, read from its flags digit alone (the 55th character)
 * without parsing it: a cheap test before `spanContextFrom`, which still decides whether it is valid.
 */
export const traceparentSampled = (traceparent: string): boolean =>
  traceparent.length >= traceparentLength &&
  sampledFlagsDigit(traceparent.charCodeAt(traceparentLength - 1));

/** `00-<trace id>-<span id>-<flags>` of a span context (flags: the sampled bit only). */
export const traceparentOf = (span: SpanContext): string =>
  `00-${span.traceId}-${span.spanId}-${span.traceFlags & TraceFlags.SAMPLED ? "01" : "00"}`;

/** The tracestate of a span context as it is passed on (undefined: none, or empty). */
export function tracestateOf(span: SpanContext): string | undefined {
  const text = span.traceState?.serialize();
  return text ? text : undefined;
}

/** Most list members a tracestate may hold (§3.3.1). */
export const maxTracestateMembers = 32;
/** Characters of a tracestate gridpulse passes on (the spec's guidance: at least 512). */
export const maxTracestateLength = 512;
/** Members longer than this are the first dropped when a tracestate is too long (§3.3.1.5). */
const longMember = 128;

// §3.3.1.3: simple-key / multi-tenant-key (tenant-id "@" system-id); value: up to 256 printable
// ASCII characters but ',' and '=', not ending in a space.
const keyChars = "[a-z0-9_\\-*/]";
const keyPattern = new RegExp(
  `^(?:[a-z]${keyChars}{0,255}|[a-z0-9]${keyChars}{0,240}@[a-z]${keyChars}{0,13})$`,
);
const valuePattern = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/**
 * A tracestate header as gridpulse passes it on: its members without optional whitespace, joined by
 * `,`, at most 512 characters (see the module comment). Undefined when it is invalid (the whole header
 * is dropped) or holds no member.
 */
export function normalTracestate(raw: string): string | undefined {
  const members: string[] = [];
  const keys = new Set<string>();
  for (const part of raw.split(",")) {
    // Spaces and tabs around a member are optional whitespace; an empty member is allowed.
    const member = part.replace(/^[ \t]+|[ \t]+$/g, "");
    if (member === "") continue;
    const eq = member.indexOf("=");
    if (eq <= 0) return undefined;
    const key = member.slice(0, eq);
    if (!keyPattern.test(key) || !valuePattern.test(member.slice(eq + 1))) return undefined;
    if (keys.has(key)) return undefined;
    keys.add(key);
    members.push(member);
    if (members.length > maxTracestateMembers) return undefined;
  }
  if (members.length === 0) return undefined;
  return truncated(members).join(",") || undefined;
}

/** Whole members dropped until the list fits: long ones first, then from the end. */
function truncated(members: string[]): string[] {
  const size = (list: string[]) => list.reduce((n, m) => n + m.length, 0) + list.length - 1;
  if (size(members) <= maxTracestateLength) return members;
  let kept = [...members];
  for (let i = kept.length - 1; i >= 0 && size(kept) > maxTracestateLength; i--)
    if ((kept[i] as string).length > longMember) kept = kept.filter((_, j) => j !== i);
  while (kept.length > 0 && size(kept) > maxTracestateLength) kept.pop();
  return kept;
}
