/**
 * The one pagination of every list: `?limit=` (1-500, default 50) and `?cursor=` (the previous page's
 * `nextCursor`), answered as `{ data, hasMore, nextCursor }`. Keyset pagination newest first by
 * (time, id) (core/db/keyset.ts): a cursor names the last row served, so rows added while a client
 * walks the list never shift a page (no duplicate, no gap). Queries are prepared once per tenant.
 */
import { and, desc, eq, lt, or, type SQL, sql } from "drizzle-orm";
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

interface Prepared<Row> {
  all(placeholders: Record<string, unknown>): Promise<Row[]>;
}

/**
 * A keyset list of the tenant's rows of `table`, newest `timeColumn` first (ties: greater id first),
 * filtered by `where` when given (placeholders in it are bound from `params` at run time). `columns`
 * narrows the select; the row must then still carry `timeKey` and `id`.
 */
export function keysetList<T extends TenantOwnedTable, Row = T["$inferSelect"]>(
  table: T,
  timeColumn: SQLiteColumn,
  options: {
    where?: SQL;
    columns?: Record<string, SQLiteColumn | SQL.Aliased>;
    timeKey?: string;
  } = {},
) {
  const build = (after: boolean) =>
    perTenantQuery((tenant) => {
      const select = options.columns
        ? tenant.db.select(options.columns as never)
        : tenant.db.select();
      const older = after
        ? or(
            lt(timeColumn, sql.placeholder("afterTs")),
            and(
              eq(timeColumn, sql.placeholder("afterTs")),
              lt(table.id, sql.placeholder("afterId")),
            ),
          )
        : undefined;
      return (
        select.from(table as SQLiteTable) as unknown as {
          where(w: SQL): { orderBy(...o: SQL[]): { limit(l: unknown): { prepare(): unknown } } };
        }
      )
        .where(tenant.where(table, and(options.where, older)))
        .orderBy(desc(timeColumn), desc(table.id))
        .limit(sql.placeholder("limit"))
        .prepare() as Prepared<Row>;
    });
  const first = build(false);
  const next = build(true);
  const timeKey = options.timeKey ?? "createdAtMs";
  return async (
    tenant: TenantScope,
    page: PageRequest,
    params: Record<string, unknown> = {},
  ): Promise<KeysetPage<Row>> => {
    const rows = page.cursor
      ? await next(tenant).all({
          ...params,
          limit: page.limit + 1,
          afterTs: page.cursor.tsMs,
          afterId: page.cursor.id,
        })
      : await first(tenant).all({ ...params, limit: page.limit + 1 });
    return keysetPage(rows, page.limit, (row) => {
      const r = row as Record<string, unknown>;
      return { tsMs: Number(r[timeKey]), id: String(r.id) };
    });
  };
}
