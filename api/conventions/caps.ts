/**
 * Per-tenant caps on rows a tenant creates (webhook endpoints, push subscriptions): a create beyond
 * the cap is a 409 naming the cap. Checked before the insert (the common case: no write) and again
 * after it: when concurrent creates overshoot, the new row is removed, so a tenant never keeps more
 * rows than its cap.
 */
import { count } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { ApiError } from "../errors/api-error.ts";
import type { TenantOwnedTable, TenantScope } from "../tenancy/tenant-scope.ts";

async function rowsOf(tenant: TenantScope, table: TenantOwnedTable): Promise<number> {
  const [row] = await tenant.db
    .select({ n: count() })
    .from(table as SQLiteTable)
    .where(tenant.where(table));
  return row?.n ?? 0;
}

const capReached = (what: string, max: number, setting: string) =>
  new ApiError(
    "conflict",
    `the tenant has ${max} ${what} already, the most allowed; delete one first`,
    {
      details: { limit: max, setting },
    },
  );

/** Throws the 409 when the tenant holds `max` rows of `table` already. */
export async function assertBelowCap(
  tenant: TenantScope,
  table: TenantOwnedTable,
  cap: { max: number; what: string; setting: string },
): Promise<void> {
  if ((await rowsOf(tenant, table)) >= cap.max) throw capReached(cap.what, cap.max, cap.setting);
}

/** After inserting `id`: removes it again and throws the 409 when concurrent creates overshot. */
export async function enforceCapAfterInsert(
  tenant: TenantScope,
  table: TenantOwnedTable,
  id: string,
  cap: { max: number; what: string; setting: string },
): Promise<void> {
  if ((await rowsOf(tenant, table)) > cap.max) {
    await tenant.delete(table, id);
    throw capReached(cap.what, cap.max, cap.setting);
  }
}
