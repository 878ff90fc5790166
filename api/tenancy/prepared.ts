/**
 * Prepared drizzle queries kept per database handle and tenant: building a drizzle query costs several
 * times what running it does, so hot routes build theirs once (with the tenant condition of the scope,
 * `tenant.where`, bound in) and run them with placeholders. Bounded per query kind (least recently
 * added tenants dropped first).
 */
import { desc, type SQL } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { perDatabase } from "../../core/db/prepared.ts";
import type { TenantOwnedTable, TenantScope } from "./tenant-scope.ts";

const MAX_TENANTS = 1000;

export function perTenantQuery<Q>(build: (tenant: TenantScope) => Q): (tenant: TenantScope) => Q {
  const byDatabase = perDatabase(() => new Map<string, Q>());
  return (tenant) => {
    const byTenant = byDatabase(tenant.db);
    let query = byTenant.get(tenant.tenantId);
    if (query === undefined) {
      query = build(tenant);
      if (byTenant.size >= MAX_TENANTS) byTenant.delete(byTenant.keys().next().value as string);
      byTenant.set(tenant.tenantId, query);
    }
    return query;
  };
}

/**
 * The tenant's rows of `table`, newest `column` first, at most `limit` (and matching `where`, built
 * once with placeholders bound at run time): the list routes' query, prepared per tenant.
 */
export function newestFirst<T extends TenantOwnedTable>(
  table: T,
  column: SQLiteColumn,
  options: { limit?: number; where?: SQL } = {},
) {
  return perTenantQuery((tenant) =>
    tenant.db
      .select()
      .from(table as SQLiteTable)
      .where(tenant.where(table, options.where))
      .orderBy(desc(column))
      .limit(options.limit ?? 1000)
      .prepare(),
  ) as unknown as (tenant: TenantScope) => {
    all(placeholders?: Record<string, unknown>): Promise<T["$inferSelect"][]>;
  };
}
