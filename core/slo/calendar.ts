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

/** The instant at which the wall clock in `timeZone` reads year-month-01 00:00. */
function zonedMonthStartFor(year: number, month: number, timeZone: string): number {
  const guess = Date.UTC(year, month - 1, 1);
  let instant = guess - offsetAt(guess, timeZone);
  instant = guess - offsetAt(instant, timeZone); // again, in case a DST change lies between
  return instant;
}

/** Start (inclusive) and end (exclusive) of the calendar month containing `nowMs` in `timeZone`. */
export function calendarMonth(nowMs: number, timeZone: string): { startMs: number; endMs: number } {
  const { year, month } = wallClock(nowMs, timeZone);
  const startMs = zonedMonthStartFor(year, month, timeZone);
  const endMs =
    month === 12
      ? zonedMonthStartFor(year + 1, 1, timeZone)
      : zonedMonthStartFor(year, month + 1, timeZone);
  return { startMs, endMs };
}
