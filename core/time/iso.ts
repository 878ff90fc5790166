/**
 * `new Date(ms).toISOString()` for the times gridpulse stores (integer milliseconds since the epoch,
 * years 1970–9999), about four times faster: the date part is kept for the last day seen (a page
 * of rows mostly shares a few days) and the time of day is put together from lookup tables. Lists
 * format two to four times per row, ~200 per page of alerts. Anything else (fractions, negative or
 * far-future times) goes to `toISOString` itself, so the text is always exactly its text.
 */
const DAY_MS = 86_400_000;
/** 10000-01-01T00:00:00.000Z: from here on `toISOString` writes six-digit years. */
const END_MS = 253_402_300_800_000;
const twoDigits = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));
const threeDigits = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));

let lastDay = Number.NaN;
/** `YYYY-MM-DDT` of `lastDay`. */
let lastDayPrefix = "";

export function isoTime(ms: number): string {
  if (!(ms >= 0 && ms < END_MS) || !Number.isInteger(ms)) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  if (day !== lastDay) {
    lastDayPrefix = new Date(ms).toISOString().slice(0, 11);
    lastDay = day;
  }
  let rest = ms - day * DAY_MS;
  const milli = rest % 1000;
  rest = (rest - milli) / 1000;
  const second = rest % 60;
  rest = (rest - second) / 60;
  const minute = rest % 60;
  const hour = (rest - minute) / 60;
  return `${lastDayPrefix}${twoDigits[hour]}:${twoDigits[minute]}:${twoDigits[second]}.${threeDigits[milli]}Z`;
}
