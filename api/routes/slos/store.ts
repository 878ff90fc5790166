/** Storing SLO definitions through the tenant scope (the one place tenant-owned rows are filtered). */
import type { SQL } from "drizzle-orm";
import { newId } from "../../../core/auth/ids.ts";
import { type SloRow, slos } from "../../../core/db/schema/index.ts";
import type { SloDefinition } from "../../../core/slo/definition.ts";
import { rowTarget, updateWhile } from "../../conventions/preconditions.ts";
import type { TenantScope } from "../../tenancy/tenant-scope.ts";
import { createdStamps } from "../shared/rows.ts";
import { presentSlo } from "./present.ts";

/** An SLO as `GET /v1/slos/{id}` answers it: what PUT and DELETE evaluate preconditions against. */
export const sloTarget = rowTarget(slos, "SLO", presentSlo);

const columns = (definition: SloDefinition) => ({
  name: definition.name,
  description: definition.description ?? null,
  service: definition.service,
  routes: definition.routes,
  sli: definition.sli,
  objective: definition.objective,
  window: definition.window,
  tiers: definition.tiers,
  minEvents: definition.minEvents,
});

export function insertSlo(
  tenant: TenantScope,
  definition: SloDefinition,
  nowMs: number,
): Promise<SloRow> {
  return tenant.insert(slos, {
    id: newId("slo"),
    ...columns(definition),
    ...createdStamps(nowMs),
  });
}

/** Replaces the definition while `unchanged` holds (no condition: always); undefined: no row. */
export function replaceSlo(
  tenant: TenantScope,
  id: string,
  definition: SloDefinition,
  nowMs: number,
  unchanged?: SQL,
): Promise<SloRow | undefined> {
  return updateWhile(tenant, slos, id, unchanged, { ...columns(definition), updatedAtMs: nowMs });
}
