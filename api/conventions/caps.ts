/**
 * Caps on rows a tenant creates (webhook endpoints, push subscriptions; a subscriber token's own
 * subscriptions): a create beyond the cap is a 409 naming the cap. Checked before the insert (the
 * common case: no write) and again after it, so concurrent creates never leave more than the cap.
 *
 * The re-check ranks the new row among the rows the cap counts, in insertion order (SQLite's
 * `rowid`): the row stays only when fewer than `max` of them were inserted before it, else it is
 * removed and the create answers 409. Every row inserted later has a larger `rowid` than all rows
 * present at its insert, so each kept row saw every kept row before it: at most `max` stay, and the
 * first `max` inserted always stay (concurrent creates from below the cap: exactly `max` succeed).
 * Counting all the rows instead (`> max`) refused every concurrent create, each seeing the others;
 * creation times do not give the order (read before the insert, equal within a millisecond).
 */
import { and, count, type SQL, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { ApiError } from "../errors/api-error.ts";
import type { TenantOwnedTable, TenantScope } from "../tenancy/tenant-scope.ts";

/**
 * A cap of `max` rows: the tenant's rows of the table, or only those matching `within` (a subscriber
 * token's own subscriptions, say). The 409 names `what` and the `setting` that sets `max`, or is the
 * error `refusal` gives.
 */
export type Cap = { max: number; within?: SQL | undefined } & (
  | { what: string; setting: string }
  | { refusal: () => ApiError }
);

async function rowsOf(tenant: TenantScope, table: TenantOwnedTable, where?: SQL): Promise<number> {
  const [row] = await tenant.db
    .select({ n: count() })
    .from(table as SQLiteTable)
    .where(tenant.where(table, where));
  return row?.n ?? 0;
}

/** How many of the rows `cap` counts were inserted before row `id`. */
const rowsBefore = (tenant: TenantScope, table: TenantOwnedTable, id: string, cap: Cap) =>
  rowsOf(
    tenant,
    table,
    and(
      cap.within,
      sql`rowid < (select mine.rowid from ${table} as mine where mine.${sql.identifier(table.id.name)} = ${id})`,
    ),
  );

const capReached = (cap: Cap) =>
  "refusal" in cap
    ? cap.refusal()
    : new ApiError(
        "conflict",
        `the tenant has ${cap.max} ${cap.what} already, the most allowed; delete one first`,
        { details: { limit: cap.max, setting: cap.setting } },
      );

/** Throws the 409 when the rows `cap` counts number `max` already. */
export async function assertBelowCap(
  tenant: TenantScope,
  table: TenantOwnedTable,
  cap: Cap,
): Promise<void> {
  if ((await rowsOf(tenant, table, cap.within)) >= cap.max) throw capReached(cap);
}

/**
 * After inserting row `id` (only a new row, not one an upsert updated): keeps it when it is among
 * the first `max` rows of every cap (see above), else removes it and throws the first cap's 409 it
 * exceeds.
 */
export async function enforceCapAfterInsert(
  tenant: TenantScope,
  table: TenantOwnedTable,
  id: string,
  ...caps: [Cap, ...Cap[]]
): Promise<void> {
  for (const cap of caps) {
    if ((await rowsBefore(tenant, table, id, cap)) >= cap.max) {
      await tenant.delete(table, id);
      throw capReached(cap);
    }
  }
}
