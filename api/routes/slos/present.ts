import type { SloRow } from "../../../core/db/schema/index.ts";
import { iso } from "../shared/rows.ts";

export function presentSlo(row: SloRow) {
  return {
    id: row.id,
    name: row.name,
    ...(row.description ? { description: row.description } : {}),
    service: row.service,
    routes: row.routes,
    sli: row.sli,
    objective: row.objective,
    window: row.window,
    tiers: row.tiers,
    minEvents: row.minEvents,
    createdAt: iso(row.createdAtMs),
    updatedAt: iso(row.updatedAtMs),
  };
}
