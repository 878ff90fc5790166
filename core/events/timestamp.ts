/**
 * Event timestamps: RFC 3339 date-times (with an offset or `Z`) or epoch milliseconds, parsed to epoch
 * ms and kept between 2000-01-01 and 2200-01-01 (guards against seconds-vs-ms mix-ups).
 *
 * RFC 3339 as the RFC writes it: `T` and `Z` may be lower case (§5.6 NOTE), and a leap second `:60` is
 * accepted where the time is 23:59:60 in UTC (§5.7; `15:59:60-08:00` is one). A leap second counts as
 * 23:59:59.999 UTC of its day (epoch milliseconds have no room for it), whatever its fraction. Not
 * accepted: a space for `T`, an offset without its colon or minutes, a missing seconds field.
 *
 * The published JSON Schema (`core/events/contracts.ts`) says the same with `minimum` /
 * `exclusiveMaximum` on integers and, on strings, `format: date-time`, `formatMinimum` /
 * `formatExclusiveMaximum` (ajv-formats) and a pattern that also bounds the year of a leap second
 * (ajv-formats cannot compare one); `core/events/contracts.test.ts` checks that the two agree.
 */
import { z } from "zod";

/** Earliest and latest (exclusive) instants accepted as event time. */
export const minEpochMs = Date.UTC(2000, 0, 1);
export const maxEpochMs = Date.UTC(2200, 0, 1);

export const inEventTimeRange = (ms: number) => ms >= minEpochMs && ms < maxEpochMs;

const rfc3339 =
  /^(\d{4})-(\d\d)-(\d\d)[Tt]([01]\d|2[0-3]):([0-5]\d):([0-5]\d|60)(?:\.(\d+))?(?:[Zz]|([+-])([01]\d|2[0-3]):([0-5]\d))$/;

const daysInMonth = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeapYear = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);

/** Days from 1970-01-01 to the given proleptic Gregorian date (any year 0000-9999). */
function daysFromCivil(y: number, m: number, d: number): number {
  const year = m <= 2 ? y - 1 : y;
  const era = Math.floor(year / 400);
  const yoe = year - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/**
 * The epoch milliseconds of an RFC 3339 date-time (fractions beyond milliseconds are cut, as
 * `Date.parse` does), or undefined when `text` is not one. No range check.
 */
export function rfc3339EpochMs(text: string): number | undefined {
  const m = rfc3339.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return undefined;
  if (day > (month === 2 && isLeapYear(year) ? 29 : (daysInMonth[month - 1] as number)))
    return undefined;
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  const offsetMinutes =
    m[8] === undefined ? 0 : (m[8] === "-" ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]));
  const utcMinutes = hour * 60 + minute - offsetMinutes;
  if (second === 60) {
    // A leap second only ends a UTC day: 23:59:60 UTC, read as 23:59:59.999.
    if (((utcMinutes % 1440) + 1440) % 1440 !== 1439) return undefined;
    return (daysFromCivil(year, month, day) * 1440 + utcMinutes) * 60_000 + 59_999;
  }
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, "0"));
  return (daysFromCivil(year, month, day) * 1440 + utcMinutes) * 60_000 + second * 1000 + ms;
}

const rangeMessage = "must be between 2000-01-01 and 2200-01-01 (epoch milliseconds, not seconds)";
const rfc3339Message = "must be an RFC 3339 date-time with a time zone";

/**
 * What the published schema adds to a string timestamp: ajv-formats checks the date-time (a leap
 * second at 23:59 UTC only) and compares its instant with the range; it cannot compare a leap second,
 * so the pattern bounds those by their local date (a leap second's UTC day is its local day, or the day
 * before when the offset is positive; it counts as 23:59:59.999 of that day). The pattern also keeps
 * the year between 1999 and 2200 for validators without `formatMinimum`.
 */
const anyDate =
  "(?:(?:\\d\\d[2468][048]|\\d\\d[13579][26]|\\d\\d0[48]|[02468][048]00|[13579][26]00)-02-29|\\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|02-(?:0[1-9]|1\\d|2[0-8])))";
const date2000To2199 = `(?=2[01]\\d\\d-)${anyDate}`;
const hhmm = "(?:[01]\\d|2[0-3]):[0-5]\\d";
const fraction = "(?:\\.\\d+)?";
const offsetOf = (signs: string) => `[${signs}]${hhmm}`;
export const rfc3339SchemaPattern = [
  `^(?:(?:1999-12-31|2200-01-01|${date2000To2199})[Tt]${hhmm}:[0-5]\\d${fraction}(?:[Zz]|${offsetOf("+-")})`,
  `|${date2000To2199}[Tt]${hhmm}:60${fraction}(?:[Zz]|${offsetOf("-")}|\\+00:00)`,
  `|(?:(?!2000-01-01)${date2000To2199}|2200-01-01)[Tt]${hhmm}:60${fraction}\\+(?!00:00)${hhmm})$`,
].join("");

const epochMsInput = z
  .number()
  .int("epoch milliseconds must be an integer")
  .min(minEpochMs, rangeMessage)
  .lt(maxEpochMs, rangeMessage);

const rfc3339Input = z
  .string()
  .refine((text) => rfc3339EpochMs(text) !== undefined, { message: rfc3339Message, abort: true })
  .refine((text) => inEventTimeRange(rfc3339EpochMs(text) as number), rangeMessage)
  .meta({
    format: "date-time",
    pattern: rfc3339SchemaPattern,
    formatMinimum: new Date(minEpochMs).toISOString(),
    formatExclusiveMaximum: new Date(maxEpochMs).toISOString(),
  });

/** An event timestamp: RFC 3339 or epoch milliseconds; parsed to epoch ms. */
export const eventTimestamp = z
  .union([epochMsInput, rfc3339Input])
  .transform((value) => (typeof value === "number" ? value : (rfc3339EpochMs(value) as number)));
