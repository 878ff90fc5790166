/**
 * Prepared drizzle queries kept per database handle and tenant: building a drizzle query costs several
 * times what running it does, so hot routes build theirs once (with the tenant condition of the scope,
 * `tenant.where`, bound in) and run them with placeholders. Bounded per query kind (least recently
 * added tenants dropped first).
 */
import { perDatabase } from "../../core/db/prepared.ts";
import type { TenantScope } from "./tenant-scope.ts";

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
