/** Calendar arithmetic in an IANA time zone with Intl only (runtime-neutral: Node and Workers). */

export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Wall-clock fields of `ms` in `timeZone`. */
function wallClock(ms: number, timeZone: string) {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(ms))) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  return parts as {
    year: number;
    month: number;
    day: number;
    hour: number;
    minute: number;
    second: number;
  };
}

/** Offset of `timeZone` from UTC at instant `ms`, in ms. */
function offsetAt(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** Months since year 0 of the wall clock in `timeZone` at `ms`. */
function monthIndexAt(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  return w.year * 12 + w.month - 1;
}

/**
 * The first instant of year-month in `timeZone`: where the wall clock reads year-month-01 00:00, or,
 * when that wall time does not exist (a DST change at local midnight, America/Asuncion in October
 * 2023), the first instant after it whose local month is year-month.
 */
function zonedMonthStartFor(year: number, month: number, timeZone: string): number {
  const guess = Date.UTC(year, month - 1, 1);
  let instant = guess - offsetAt(guess, timeZone);
  instant = guess - offsetAt(instant, timeZone); // again, in case a DST change lies between
  const target = year * 12 + month - 1;
  if (monthIndexAt(instant, timeZone) === target && monthIndexAt(instant - 1000, timeZone) < target)
    return instant;
  // The wall clock skipped (or repeated) local midnight: find the first second of the month between a
  // day before and a day after the guess (time zone changes at a month's start never exceed a day).
  let before = instant - 86_400_000; // before the month
  let inMonth = instant + 86_400_000; // in it
  while (inMonth - before > 1000) {
    const mid = before + Math.floor((inMonth - before) / 2000) * 1000;
    if (monthIndexAt(mid, timeZone) >= target) inMonth = mid;
    else before = mid;
  }
  return inMonth;
}

/** Each time zone's month last computed, reused while it lasts (one month per zone). */
const currentMonths = new Map<string, Readonly<{ startMs: number; endMs: number }>>();
/**
 * Most zones remembered: more than Intl lists (about 420), so `monthHeadsOffTheHour` never evicts
 * its own; beyond that (names from SLO definitions) the least recently computed one is dropped.
 */
const maxCurrentMonths = 2048;

/** Start (inclusive) and end (exclusive) of the calendar month containing `nowMs` in `timeZone`. */
export function calendarMonth(
  nowMs: number,
  timeZone: string,
): Readonly<{ startMs: number; endMs: number }> {
  const cached = currentMonths.get(timeZone);
  if (cached && cached.startMs <= nowMs && nowMs < cached.endMs) return cached;
  const { year, month } = wallClock(nowMs, timeZone);
  const startMs = zonedMonthStartFor(year, month, timeZone);
  const endMs =
    month === 12
      ? zonedMonthStartFor(year + 1, 1, timeZone)
      : zonedMonthStartFor(year, month + 1, timeZone);
  const current = Object.freeze({ startMs, endMs });
  currentMonths.delete(timeZone);
  if (currentMonths.size >= maxCurrentMonths)
    currentMonths.delete(currentMonths.keys().next().value as string);
  currentMonths.set(timeZone, current);
  return current;
}

let timeZones: readonly string[] | undefined;
/** The time zones Intl knows (none where the runtime cannot list them), listed once. */
const listedTimeZones = (): readonly string[] =>
  (timeZones ??=
    typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : []);

/**
 * The first partial UTC hours of the current calendar month of every time zone Intl lists whose month
 * does not start on a whole UTC hour (Asia/Kolkata: 18:30-19:00 UTC on the last day of the month
 * before), merged and in order. SLO status counts these from minute buckets, so the stream worker keeps
 * the minute buckets in them until the month ends, whatever the minute retention.
 */
export function monthHeadsOffTheHour(nowMs: number): { fromMs: number; toMs: number }[] {
  const hourMs = 3_600_000;
  const heads: { fromMs: number; toMs: number }[] = [];
  for (const timeZone of listedTimeZones()) {
    const { startMs } = calendarMonth(nowMs, timeZone);
    const toMs = Math.ceil(startMs / hourMs) * hourMs;
    if (toMs > startMs) heads.push({ fromMs: startMs, toMs });
  }
  heads.sort((a, b) => a.fromMs - b.fromMs);
  const merged: { fromMs: number; toMs: number }[] = [];
  for (const head of heads) {
    const last = merged.at(-1);
    if (last && head.fromMs <= last.toMs) last.toMs = Math.max(last.toMs, head.toMs);
    else merged.push({ ...head });
  }
  return merged;
}
