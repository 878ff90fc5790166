/** Storing SLO definitions through the tenant scope (the one place tenant-owned rows are filtered). */
import { newId } from "../../../core/auth/ids.ts";
import { type SloRow, slos } from "../../../core/db/schema/index.ts";
import type { SloDefinition } from "../../../core/slo/definition.ts";
import type { TenantScope } from "../../tenancy/tenant-scope.ts";
import { createdStamps } from "../shared/rows.ts";

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

export function replaceSlo(
  tenant: TenantScope,
  id: string,
  definition: SloDefinition,
  nowMs: number,
): Promise<SloRow | undefined> {
  return tenant.update(slos, id, { ...columns(definition), updatedAtMs: nowMs });
}
