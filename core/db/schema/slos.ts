import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { SloDefinition } from "../../slo/definition.ts";
import { tenants } from "./tenants.ts";

/** SLO definitions, owned by a tenant. The stream worker evaluates them; the API manages them. */
export const slos = sqliteTable(
  "slos",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description"),
    service: text("service").notNull(),
    routes: text("routes", { mode: "json" }).$type<string[]>().notNull(),
    sli: text("sli", { mode: "json" }).$type<SloDefinition["sli"]>().notNull(),
    objective: real("objective").notNull(),
    window: text("window", { mode: "json" }).$type<SloDefinition["window"]>().notNull(),
    tiers: text("tiers", { mode: "json" }).$type<SloDefinition["tiers"]>().notNull(),
    minEvents: integer("min_events").notNull(),
    createdAtMs: integer("created_at_ms").notNull(),
    updatedAtMs: integer("updated_at_ms").notNull(),
  },
  (t) => [
    index("slos_tenant_idx").on(t.tenantId, t.createdAtMs, t.id),
    index("slos_service_idx").on(t.service),
  ],
);

export type SloRow = typeof slos.$inferSelect;

/** The definition stored in a row. */
export function sloFromRow(row: SloRow): SloDefinition {
  return {
    name: row.name,
    ...(row.description ? { description: row.description } : {}),
    service: row.service,
    routes: row.routes,
    sli: row.sli,
    objective: row.objective,
    window: row.window,
    tiers: row.tiers,
    minEvents: row.minEvents,
  };
}
