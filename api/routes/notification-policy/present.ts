import { type RouteConfig, routeSchema } from "../../../core/alerts/plan.ts";
import { defaultInhibitRules, type InhibitRule } from "../../../core/alerts/suppression.ts";
import { isoOrNull } from "../shared/rows.ts";

/** The policy as stored (`updatedAtMs` null: the defaults, never set). */
export const presentPolicy = (
  route: RouteConfig,
  inhibitRules: InhibitRule[] | null,
  updatedAtMs: number | null,
) => ({
  // A route stored before a setting existed shows (and is evaluated with) that setting's default.
  route: routeSchema.safeParse(route).data ?? route,
  inhibitRules,
  effectiveInhibitRules: inhibitRules ?? [...defaultInhibitRules],
  isDefault: updatedAtMs === null,
  updatedAt: isoOrNull(updatedAtMs),
});
