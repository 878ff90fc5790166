/**
 * Handler steps the tenant-owned CRUD resources repeat: a row by id or 404, update by id or 404, the
 * change stamps of a new row, and ISO times. Every read and write goes through the caller's
 * TenantScope, so a row of another tenant is a 404 like a missing one.
 */
import { isoTime } from "../../../core/time/iso.ts";
import { ApiError } from "../../errors/api-error.ts";
import type { TenantOwnedTable, TenantScope } from "../../tenancy/tenant-scope.ts";

type Row<T extends TenantOwnedTable> = T["$inferSelect"];
type Changes<T extends TenantOwnedTable> = Partial<Omit<T["$inferInsert"], "tenantId">>;

/** The 404 of a resource, e.g. `notFound("alert rule")`: "alert rule not found". */
export const notFound = (what: string) => new ApiError("not_found", `${what} not found`);

/** The tenant's row `id` of `table`, or a 404 naming `what`. */
export async function getOr404<T extends TenantOwnedTable>(
  tenant: TenantScope,
  table: T,
  id: string,
  what: string,
): Promise<Row<T>> {
  const row = await tenant.get(table, id);
  if (!row) throw notFound(what);
  return row;
}

/** Updates the tenant's row `id` of `table` and returns it as stored, or a 404 naming `what`. */
export async function updateOr404<T extends TenantOwnedTable>(
  tenant: TenantScope,
  table: T,
  id: string,
  changes: Changes<T>,
  what: string,
): Promise<Row<T>> {
  const row = await tenant.update(table, id, changes);
  if (!row) throw notFound(what);
  return row;
}

/** `createdAtMs` and `updatedAtMs` of a row created now. */
export const createdStamps = (nowMs: number) => ({ createdAtMs: nowMs, updatedAtMs: nowMs });

/** A stored time (ms) as an RFC 3339 string. */
export const iso = isoTime;

/** A stored optional time (ms or null) as an RFC 3339 string or null. */
export const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));
