/**
 * Keyset pagination, newest first by (time, id): a cursor names the last row of a page, so pages stay
 * stable while rows are added. Runtime-neutral (no Buffer): the API serves it on Node and Workers.
 */
import { and, eq, lt, or, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";

export interface EventCursor {
  tsMs: number;
  id: string;
}

export interface KeysetPage<T> {
  rows: T[];
  next: EventCursor | null;
}

/**
 * Rows after `after` in (time, id) descending order; undefined (no condition) on the first page. The
 * time may be an expression (e.g. a JSON field) as long as it does not change while a row is listed.
 */
export const olderThan = (
  timeColumn: SQLiteColumn | SQL,
  idColumn: SQLiteColumn,
  after: EventCursor | undefined,
): SQL | undefined =>
  after === undefined
    ? undefined
    : or(
        lt(timeColumn as SQL, after.tsMs),
        and(eq(timeColumn as SQL, after.tsMs), lt(idColumn, after.id)),
      );

/** A page from `limit + 1` rows read: the extra row only says that another page follows. */
export function keysetPage<T>(
  rows: T[],
  limit: number,
  cursorOf: (row: T) => EventCursor,
): KeysetPage<T> {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { rows: page, next: rows.length > limit && last ? cursorOf(last) : null };
}

/** An opaque, URL-safe cursor: base64url of `[tsMs, id]`. */
export function encodeCursor(cursor: EventCursor): string {
  const bytes = new TextEncoder().encode(JSON.stringify([cursor.tsMs, cursor.id]));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * The longest id a cursor holds, in UTF-16 code units: the longest id of any keyset-listed table
 * (market event ids, up to 128 characters of any kind; every other table's ids are shorter).
 */
export const maxCursorIdLength = 128;

/**
 * The longest cursor `encodeCursor` issues. Its JSON is `[ts,"id"]`: a safe integer takes at most 17
 * characters (-9007199254740991), and each UTF-16 code unit of the id at most 6 bytes (a control
 * character or a lone surrogate escaped as \uXXXX; a quote or backslash takes 2, another BMP
 * character at most 3 in UTF-8, a surrogate pair 4 for two units). base64url without padding then
 * writes 4 characters per 3 bytes.
 */
export const maxCursorLength = Math.ceil(((17 + 6 * maxCursorIdLength + 5) * 4) / 3);

const cursorText = new RegExp(`^[A-Za-z0-9_-]{1,${maxCursorLength}}$`);

/** The cursor in `text`, or undefined when it is not one this API issued. */
export function decodeCursor(text: string): EventCursor | undefined {
  if (!cursorText.test(text)) return undefined;
  try {
    const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
    const bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      Number.isSafeInteger(value[0]) &&
      typeof value[1] === "string" &&
      value[1].length > 0 &&
      value[1].length <= maxCursorIdLength
    ) {
      return { tsMs: value[0], id: value[1] };
    }
  } catch {
    // not base64 or not JSON: not ours
  }
  return undefined;
}
