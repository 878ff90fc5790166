/**
 * The one pagination of every list: `?limit=` (1-500, default 50) and `?cursor=` (the previous page's
 * `nextCursor`), answered as `{ data, hasMore, nextCursor }`. Keyset pagination newest first by
 * (time, id) (core/db/keyset.ts): a cursor names the last row served, so rows added while a client
 * walks the list never shift a page (no duplicate, no gap). Queries are prepared once per tenant.
 */
import { and, Column, desc, eq, getTableColumns, is, lt, or, SQL, sql } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import {
  decodeCursor,
  type EventCursor,
  encodeCursor,
  type KeysetPage,
  keysetPage,
} from "../../core/db/keyset.ts";
import { perTenantQuery } from "../tenancy/prepared.ts";
import type { TenantOwnedTable, TenantScope } from "../tenancy/tenant-scope.ts";

export const MAX_PAGE_LIMIT = 500;

export const cursorParam = z
  .string()
  .transform((value, ctx) => {
    const cursor = decodeCursor(value);
    if (!cursor) {
      ctx.addIssue({ code: "custom", message: "must be a nextCursor from a previous page" });
      return z.NEVER;
    }
    return cursor;
  })
  .optional()
  .describe("`nextCursor` of the previous page (omit for the first page)");

export const limitParam = z.coerce
  .number()
  .int()
  .min(1)
  .max(MAX_PAGE_LIMIT)
  .default(50)
  .describe(`Items per page (1-${MAX_PAGE_LIMIT})`);

/** Query fields of a paginated list; spread into the route's query object. */
export const pageQueryFields = { limit: limitParam, cursor: cursorParam };
export const pageQuery = z.object(pageQueryFields);

/** `{ data: item[], hasMore, nextCursor }`, registered as the component `id`. */
export function pageSchema<S extends z.ZodType>(item: S, id: string) {
  return z
    .object({
      data: z.array(item),
      hasMore: z.boolean().describe("true: another page follows"),
      nextCursor: z
        .string()
        .nullable()
        .describe("pass as `cursor` for the next page; null on the last page"),
    })
    .meta({ id });
}

/** The response body of a page, each row presented by `present`. */
export function pageBody<R, T>(page: KeysetPage<R>, present: (row: R) => T) {
  return {
    data: page.rows.map(present),
    hasMore: page.next !== null,
    nextCursor: page.next === null ? null : encodeCursor(page.next),
  };
}

export interface PageRequest {
  limit: number;
  cursor?: EventCursor | undefined;
}

/**
 * Rows after a page's cursor in (time, id) descending order, the cursor bound at run time
 * (placeholders `afterTs`, `afterId`: `pageParams`).
 */
export const afterCursor = (timeColumn: SQLiteColumn | SQL, idColumn: SQLiteColumn): SQL =>
  or(
    lt(timeColumn as SQL, sql.placeholder("afterTs")),
    and(
      eq(timeColumn as SQL, sql.placeholder("afterTs")),
      lt(idColumn, sql.placeholder("afterId")),
    ),
  ) as SQL;

/** A page's placeholder values: `limit + 1` rows (the extra one says another follows), after its cursor. */
export const pageParams = (page: PageRequest): Record<string, unknown> =>
  page.cursor
    ? { limit: page.limit + 1, afterTs: page.cursor.tsMs, afterId: page.cursor.id }
    : { limit: page.limit + 1 };

interface Prepared {
  values(placeholders: Record<string, unknown>): Promise<ArrayLike<unknown>[]>;
}

/** How a selected field's stored value becomes the row's value (what drizzle does per field). */
type Decoder = { mapFromDriverValue(value: unknown): unknown };

function decoderOf(field: unknown): Decoder {
  if (is(field, Column)) return field;
  // An SQL expression's decoder (`.mapWith(…)`) is internal to drizzle's types.
  if (is(field, SQL.Aliased)) return (field.sql as unknown as { decoder: Decoder }).decoder;
  if (is(field, SQL)) return (field as unknown as { decoder: Decoder }).decoder;
  throw new TypeError("keysetList: select columns or SQL expressions only");
}

/** Blobs as drizzle's libSQL session hands them to decoders (a Buffer where there is one). */
function normalized(value: unknown): unknown {
  if (!(value instanceof ArrayBuffer)) return value;
  if (typeof Buffer !== "undefined") return Buffer.from(value);
  return new TextDecoder().decode(value);
}

/**
 * Rows as drizzle's `all()` maps them (selection keys, each value decoded by its column: JSON,
 * booleans, …), from the positional values of `values()`. Drizzle's own mapping copies every row
 * through a generic `Array.prototype.slice` and walks nested selection paths: for a page of 50 rows,
 * about a third of the list's database time.
 */
function rowMapper(fields: Record<string, unknown>) {
  const keys = Object.keys(fields);
  // null: the column hands its value over as it is (text, real, integer numbers: drizzle's base
  // decoder), so a row of such columns costs no decoder call (one call site for many column classes).
  const decoders = keys.map((key) => {
    const decoder = decoderOf(fields[key]);
    return decoder.mapFromDriverValue === identity ? null : decoder;
  });
  return (values: ArrayLike<unknown>): Record<string, unknown> => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) {
      const decoder = decoders[i] as Decoder | null;
      if (decoder === null) {
        row[keys[i] as string] = values[i];
        continue;
      }
      const value = normalized(values[i]);
      row[keys[i] as string] = value === null ? null : decoder.mapFromDriverValue(value);
    }
    return row;
  };
}

const identity = Column.prototype.mapFromDriverValue;

/**
 * A keyset list of the tenant's rows of `table`, newest `timeColumn` first (ties: greater id first),
 * filtered by `where` when given (placeholders in it are bound from `params` at run time). `columns`
 * narrows the select; the row must then still carry `timeKey` and `id`. The time may be an SQL
 * expression that does not change while a row is listed (e.g. a JSON field); `timeOf` then reads it
 * from the row for the cursor.
 */
export function keysetList<T extends TenantOwnedTable, Row = T["$inferSelect"]>(
  table: T,
  timeColumn: SQLiteColumn | SQL,
  options: {
    where?: SQL;
    columns?: Record<string, SQLiteColumn | SQL.Aliased>;
    timeKey?: string;
    timeOf?: (row: Row) => number;
  } = {},
) {
  const build = (after: boolean) =>
    perTenantQuery((tenant) => {
      const select = options.columns
        ? tenant.db.select(options.columns as never)
        : tenant.db.select();
      const older = after ? afterCursor(timeColumn, table.id) : undefined;
      return (
        select.from(table as SQLiteTable) as unknown as {
          where(w: SQL): { orderBy(...o: SQL[]): { limit(l: unknown): { prepare(): unknown } } };
        }
      )
        .where(tenant.where(table, and(options.where, older)))
        .orderBy(desc(timeColumn), desc(table.id))
        .limit(sql.placeholder("limit"))
        .prepare() as Prepared;
    });
  const first = build(false);
  const next = build(true);
  // The select's columns, in the order drizzle selects them (a flat selection: its keys' order).
  const toRow = rowMapper(options.columns ?? getTableColumns(table));
  const timeKey = options.timeKey ?? "createdAtMs";
  return async (
    tenant: TenantScope,
    page: PageRequest,
    params: Record<string, unknown> = {},
  ): Promise<KeysetPage<Row>> => {
    const values = await (page.cursor ? next : first)(tenant).values({
      ...params,
      ...pageParams(page),
    });
    const rows = values.map(toRow) as Row[];
    const timeOf =
      options.timeOf ?? ((row: Row) => Number((row as Record<string, unknown>)[timeKey]));
    return keysetPage(rows, page.limit, (row) => ({
      tsMs: timeOf(row),
      id: String((row as Record<string, unknown>).id),
    }));
  };
}
