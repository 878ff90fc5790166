/**
 * Stage 1's byte-level reader of the RequestEvent wire format: validates an event straight from the
 * message bytes, without decoding them to a string, building a JSON object or running regular
 * expressions, and fills a caller-owned scratch record (no allocation per event: services, routes and
 * regions are interned, and the traceparent is kept as its position in the bytes). Keys are matched by
 * name in place and each string value is read with its field's byte class. It only ever *accepts*: anything it is not sure about
 * (escapes or non-ASCII in strings, duplicate or unknown keys, nested values, a BOM, unusual numbers)
 * returns false, and the caller takes the full path (`decodeRequestEvent`: JSON.parse, the plain-check
 * twin, then zod for the error text). So it can only be wrong by accepting what zod rejects, or by
 * reading a different value; `request-event.scan.test.ts` checks both with fast-check over random
 * and mutated events.
 */
import { sampledFlagsDigit } from "../observability/trace-context.ts";
import { maxEventBytes } from "./decode.ts";
import { httpMethods, type RequestEvent } from "./request-event.ts";
import { inEventTimeRange, rfc3339EpochMs } from "./timestamp.ts";

/** What stage 1 needs of an accepted event, plus where its `id` sits in the bytes. */
export interface ScannedRequestEvent {
  idStart: number;
  idEnd: number;
  tsMs: number;
  service: string;
  route: string;
  method: string;
  status: number;
  durationMs: number;
  region: string | undefined;
  /**
   * Where the event's traceparent starts in the bytes (-1: none). The scanner does not make a string
   * of it (`scannedTraceparent` does, when it is wanted).
   */
  traceparentStart: number;
}

export function newScannedRequestEvent(): ScannedRequestEvent {
  return {
    idStart: 0,
    idEnd: 0,
    tsMs: 0,
    service: "",
    route: "",
    method: "",
    status: 0,
    durationMs: 0,
    region: undefined,
    traceparentStart: -1,
  };
}

/** The traceparent of an event `scanRequestEvent` accepted, if it has one. */
export function scannedTraceparent(bytes: Uint8Array, s: ScannedRequestEvent): string | undefined {
  return s.traceparentStart < 0
    ? undefined
    : asciiString(bytes, s.traceparentStart, s.traceparentStart + traceparentLength);
}

/**
 * Whether that traceparent's sampled flag is set, without making a string of it: bit 0 of the flags
 * byte (W3C Trace Context §3.2.2.5), i.e. the value of its last hex digit is odd ('1', '3', …, 'b',
 * 'd', 'f'; the reader accepted lowercase hex only there). Whether the traceparent is valid
 * (version, non-zero ids) is decided where it is kept.
 */
export function scannedTraceparentSampled(bytes: Uint8Array, s: ScannedRequestEvent): boolean {
  if (s.traceparentStart < 0) return false;
  return sampledFlagsDigit(bytes[s.traceparentStart + traceparentLength - 1] as number);
}

const maxDurationMs = 24 * 60 * 60 * 1000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

// Field bits (also the duplicate-key check).
const F_ID = 1;
const F_TS = 2;
const F_SERVICE = 4;
const F_ROUTE = 8;
const F_METHOD = 16;
const F_STATUS = 32;
const F_DURATION = 64;
const F_REGION = 128;
const F_TRACEPARENT = 256;
const required = F_ID | F_TS | F_SERVICE | F_ROUTE | F_METHOD | F_STATUS | F_DURATION;

const fieldNames: readonly [string, number][] = [
  ["id", F_ID],
  ["ts", F_TS],
  ["service", F_SERVICE],
  ["route", F_ROUTE],
  ["method", F_METHOD],
  ["status", F_STATUS],
  ["durationMs", F_DURATION],
  ["region", F_REGION],
  ["traceparent", F_TRACEPARENT],
];

/**
 * Byte classes: plain string bytes (printable ASCII but the quote, backslash and DEL), service characters
 * ([A-Za-z0-9._-]), route characters after the leading '/' (plain but the space, '?' and '#': `\s`
 * among printable ASCII is only the space) and lowercase hex.
 */
const plainByte = new Uint8Array(256);
const serviceByte = new Uint8Array(256);
const routeByte = new Uint8Array(256);
const hexByte = new Uint8Array(256);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  // DEL is a control character: an event holding one is left to the generic decoder.
  plainByte[c] = c >= 0x20 && c !== 0x7f && c !== QUOTE && c !== BACKSLASH ? 1 : 0;
  serviceByte[c] = /[A-Za-z0-9._-]/.test(ch) ? 1 : 0;
  routeByte[c] = plainByte[c] === 1 && c !== 0x20 && c !== 0x3f && c !== 0x23 ? 1 : 0;
  hexByte[c] = /[\da-f]/.test(ch) ? 1 : 0;
}
const traceparentLength = 55;

const pow10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/** Strings of ASCII bytes, interned by content (services, routes, regions, timestamps' minutes). */
class Interner {
  /** By hash: the string and its bytes (compared with the candidate's bytes on a hit). */
  private readonly table = new Map<number, { text: string; bytes: Uint8Array }>();
  private readonly capacity: number;
  constructor(capacity: number) {
    this.capacity = capacity;
  }
  get(bytes: Uint8Array, start: number, end: number, hash = hashOf(bytes, start, end)): string {
    const hit = this.table.get(hash);
    if (hit !== undefined && hit.bytes.length === end - start) {
      const known = hit.bytes;
      let same = true;
      for (let i = start; i < end; i++) {
        if (known[i - start] !== bytes[i]) {
          same = false;
          break;
        }
      }
      if (same) return hit.text;
    }
    const text = asciiString(bytes, start, end);
    if (this.table.size >= this.capacity) this.table.clear();
    // A copy: a view would keep the whole fetched buffer alive.
    const own = new Uint8Array(end - start);
    own.set(bytes.subarray(start, end));
    this.table.set(hash, { text, bytes: own });
    return text;
  }
}

function hashOf(bytes: Uint8Array, start: number, end: number): number {
  let h = 0;
  for (let i = start; i < end; i++) h = (Math.imul(h, 31) + (bytes[i] as number)) | 0;
  return h;
}

function asciiString(bytes: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i += 1024)
    s += String.fromCharCode.apply(
      null,
      bytes.subarray(i, Math.min(end, i + 1024)) as unknown as number[],
    );
  return s;
}

const names = new Interner(8192);
const dates = new Interner(256);
/** Epoch ms of interned `YYYY-MM-DDTHH:MM` prefixes (minute starts, UTC). */
const minuteStarts = new Map<string, number>();

/**
 * The epoch ms of an RFC 3339 string timestamp between `start` and `end`, or undefined when it is not
 * one (`rfc3339EpochMs`, the schema's own parser, decides). The common `…:SS.mmmZ` / `…:SSZ` form is
 * computed from a cached minute start; any other shape (lower-case `t`/`z`, a leap second `:60`,
 * offsets, other fractions) takes the parser.
 */
function stringTimestamp(bytes: Uint8Array, start: number, end: number): number | undefined {
  const len = end - start;
  if ((len === 24 || len === 20) && bytes[end - 1] === 0x5a /* Z */) {
    // `YYYY-MM-DDTHH:MM` seen before in a timestamp the parser accepted: only `:SS(.mmm)?Z` is left
    // to check (the parser allows `:[0-5]\d(\.\d+)?` then `Z` there, and `:60` only at 23:59 UTC,
    // which is left to it).
    const base = minuteStarts.get(dates.get(bytes, start, start + 16));
    if (base !== undefined) {
      const d = (i: number) => (bytes[start + i] as number) - 0x30;
      const digit = (i: number) => d(i) >= 0 && d(i) <= 9;
      if (bytes[start + 16] !== 0x3a || !(d(17) >= 0 && d(17) <= 5) || !digit(18)) return undefined;
      let ms = base + (d(17) * 10 + d(18)) * 1000;
      if (len === 24) {
        if (bytes[start + 19] !== 0x2e || !digit(20) || !digit(21) || !digit(22)) return undefined;
        ms += d(20) * 100 + d(21) * 10 + d(22);
      }
      return ms;
    }
  }
  const text = asciiString(bytes, start, end);
  const ms = rfc3339EpochMs(text);
  if (ms === undefined) return undefined;
  if ((len === 24 || len === 20) && text.endsWith("Z") && text.charCodeAt(10) === 0x54 /* T */) {
    // Remember the minute (its start is the time with seconds and fraction dropped).
    const minute = dates.get(bytes, start, start + 16);
    if (minuteStarts.size >= 256) minuteStarts.clear();
    minuteStarts.set(minute, rfc3339EpochMs(`${minute}:00Z`) as number);
  }
  return ms;
}

const methods: readonly string[] = httpMethods;

/**
 * Reads one event from `bytes` into `out`; true only if the event is valid by `requestEventSchema`
 * (then `out` holds exactly what the schema would output). False means "not decided here".
 */
export function scanRequestEvent(bytes: Uint8Array, out: ScannedRequestEvent): boolean {
  const n = bytes.length;
  if (n === 0 || n > maxEventBytes) return false;
  let i = 0;
  let c = 0;
  i = skipSpace(bytes, i);
  if (bytes[i] !== 0x7b /* { */) return false;
  i++;
  let seen = 0;
  out.region = undefined;
  out.traceparentStart = -1;
  for (;;) {
    i = skipSpace(bytes, i);
    if (bytes[i] !== QUOTE) return false; // `{}`, a trailing comma or garbage: not decided here
    // The key: one of the field names, then its closing quote.
    i++;
    const field = fieldAt(bytes, i);
    if (field === 0 || (seen & field) !== 0) return false;
    seen |= field;
    i += (fieldName[field] as Uint8Array).length + 1;
    i = skipSpace(bytes, i);
    if (bytes[i] !== 0x3a /* : */) return false;
    i++;
    i = skipSpace(bytes, i);
    if (i >= n) return false;
    c = bytes[i] as number;
    if (c === QUOTE) {
      // A string value of plain printable ASCII (escapes and other characters: not decided here),
      // read with the field's own byte class where it has one.
      const start = ++i;
      switch (field) {
        case F_ID:
          i = classEnd(bytes, start, plainByte);
          if (i < 0 || i - start < 1 || i - start > 128) return false;
          out.idStart = start;
          out.idEnd = i;
          break;
        case F_TS: {
          i = classEnd(bytes, start, plainByte);
          if (i < 0) return false;
          const ms = stringTimestamp(bytes, start, i);
          if (ms === undefined || !inEventTimeRange(ms)) return false;
          out.tsMs = ms;
          break;
        }
        case F_SERVICE:
          i = classEnd(bytes, start, serviceByte);
          if (i < 0 || i - start < 1 || i - start > 100) return false;
          out.service = names.get(bytes, start, i, lastHash);
          break;
        case F_ROUTE:
          // '/', then route characters ('?' and '#' start a query or fragment).
          if (bytes[start] !== 0x2f /* / */) return false;
          i = classEnd(bytes, start + 1, routeByte, 0x2f);
          if (i < 0 || i - start > 200) return false;
          out.route = names.get(bytes, start, i, lastHash);
          break;
        case F_METHOD: {
          i = classEnd(bytes, start, plainByte);
          if (i < 0) return false;
          const method = methodOf(bytes, start, i);
          if (method === undefined) return false;
          out.method = method;
          break;
        }
        case F_REGION:
          i = classEnd(bytes, start, plainByte);
          if (i < 0 || i - start < 1 || i - start > 64) return false;
          out.region = names.get(bytes, start, i, lastHash);
          break;
        case F_TRACEPARENT:
          for (let j = 0; j < traceparentLength; j++) {
            const b = bytes[start + j] as number;
            if (j === 2 || j === 35 || j === 52) {
              if (b !== 0x2d /* - */) return false;
            } else if (hexByte[b] !== 1) return false;
          }
          i = start + traceparentLength;
          if (bytes[i] !== QUOTE) return false;
          out.traceparentStart = start;
          break;
        default:
          return false;
      }
      i++;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      // A JSON number: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?
      const start = i;
      let negative = false;
      if (c === 0x2d) {
        negative = true;
        i++;
      }
      let mantissa = 0;
      let digits = 0;
      let fraction = 0;
      c = bytes[i] ?? 0;
      if (c === 0x30) {
        i++;
        digits = 1;
      } else if (c >= 0x31 && c <= 0x39) {
        const from = i;
        i = digitsEnd(bytes, i);
        for (let j = from; j < i; j++) mantissa = mantissa * 10 + ((bytes[j] as number) - 0x30);
        digits = i - from;
      } else return false;
      if (bytes[i] === 0x2e /* . */) {
        i++;
        const fractionStart = i;
        i = digitsEnd(bytes, i);
        for (let j = fractionStart; j < i; j++)
          mantissa = mantissa * 10 + ((bytes[j] as number) - 0x30);
        fraction = i - fractionStart;
        digits += fraction;
        if (fraction === 0) return false;
      }
      let value: number;
      c = bytes[i] ?? 0;
      if (c === 0x65 || c === 0x45 || digits > 15) {
        // Exponents and long mantissas: the engine's own conversion (correctly rounded, like JSON.parse).
        if (c === 0x65 || c === 0x45) {
          i++;
          c = bytes[i] ?? 0;
          if (c === 0x2b || c === 0x2d) i++;
          const expStart = i;
          i = digitsEnd(bytes, i);
          if (i === expStart) return false;
        }
        value = Number(asciiString(bytes, start, i));
      } else {
        // At most 15 digits: mantissa and 10^fraction are exact doubles, so one division is
        // correctly rounded, the same double JSON.parse produces.
        value = fraction === 0 ? mantissa : mantissa / (pow10[fraction] as number);
        if (negative) value = -value;
      }
      switch (field) {
        case F_TS:
          if (!Number.isSafeInteger(value) || !inEventTimeRange(value)) return false;
          out.tsMs = value;
          break;
        case F_STATUS:
          if (!Number.isSafeInteger(value) || value < 100 || value > 599) return false;
          out.status = value;
          break;
        case F_DURATION:
          if (!Number.isFinite(value) || value < 0 || value > maxDurationMs) return false;
          out.durationMs = value;
          break;
        default:
          return false;
      }
    } else return false; // objects, arrays, booleans, null: not decided here
    i = skipSpace(bytes, i);
    c = bytes[i] ?? 0;
    i++;
    if (c === 0x2c /* , */) continue;
    if (c !== 0x7d /* } */) return false;
    break;
  }
  i = skipSpace(bytes, i);
  return i === n && (seen & required) === required;
}

function skipSpace(bytes: Uint8Array, from: number): number {
  let i = from;
  const n = bytes.length;
  while (i < n) {
    const c = bytes[i] as number;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/** `hashOf` the last string `classEnd` went over (computed on the way). */
let lastHash = 0;

/**
 * Index of the closing quote of a string of bytes of class `table` (a subset of the plain bytes) from
 * `from`, or -1. `seed` is the hash of the string's bytes before `from` (for `lastHash`).
 */
function classEnd(bytes: Uint8Array, from: number, table: Uint8Array, seed = 0): number {
  const n = bytes.length;
  let h = seed;
  let i = from;
  while (i < n) {
    const c = bytes[i] as number;
    if (table[c] !== 1) break;
    h = (Math.imul(h, 31) + c) | 0;
    i++;
  }
  lastHash = h;
  return i < n && bytes[i] === QUOTE ? i : -1;
}

function digitsEnd(bytes: Uint8Array, from: number): number {
  let i = from;
  const n = bytes.length;
  while (i < n) {
    const c = bytes[i] as number;
    if (c < 0x30 || c > 0x39) break;
    i++;
  }
  return i;
}

/** Each field's name as bytes, by its bit. */
const fieldName: Uint8Array[] = [];
for (const [name, bit] of fieldNames)
  fieldName[bit] = Uint8Array.from(name, (ch) => ch.charCodeAt(0));

/**
 * The field whose name starts at `start` (just after the key's opening quote) and is followed by the
 * closing quote, or 0: the key is exactly that name (no escapes, nothing more).
 */
function fieldAt(bytes: Uint8Array, start: number): number {
  let field: number;
  switch (bytes[start]) {
    case 0x69 /* i */:
      field = F_ID;
      break;
    case 0x74 /* t */:
      field = bytes[start + 1] === 0x73 /* s */ ? F_TS : F_TRACEPARENT;
      break;
    case 0x73 /* s */:
      field = bytes[start + 1] === 0x65 /* e */ ? F_SERVICE : F_STATUS;
      break;
    case 0x72 /* r */:
      field = bytes[start + 1] === 0x6f /* o */ ? F_ROUTE : F_REGION;
      break;
    case 0x6d /* m */:
      field = F_METHOD;
      break;
    case 0x64 /* d */:
      field = F_DURATION;
      break;
    default:
      return 0;
  }
  const name = fieldName[field] as Uint8Array;
  const len = name.length;
  if (start + len >= bytes.length) return 0;
  for (let j = 0; j < len; j++) if (name[j] !== bytes[start + j]) return 0;
  return bytes[start + len] === QUOTE ? field : 0;
}

function methodOf(bytes: Uint8Array, start: number, end: number): string | undefined {
  const len = end - start;
  for (const method of methods) {
    if (method.length !== len) continue;
    let same = true;
    for (let j = 0; j < len; j++) {
      if (method.charCodeAt(j) !== bytes[start + j]) {
        same = false;
        break;
      }
    }
    if (same) return method;
  }
  return undefined;
}

/** The full event `scanRequestEvent` accepted (what `requestEventSchema` outputs for the same bytes). */
export function scannedEvent(bytes: Uint8Array, s: ScannedRequestEvent): RequestEvent {
  const event: RequestEvent = {
    id: asciiString(bytes, s.idStart, s.idEnd),
    ts: s.tsMs,
    service: s.service,
    route: s.route,
    method: s.method as RequestEvent["method"],
    status: s.status,
    durationMs: s.durationMs,
  };
  if (s.region !== undefined) event.region = s.region;
  if (s.traceparentStart >= 0) event.traceparent = scannedTraceparent(bytes, s);
  return event;
}
