import { blob, index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { Assessment, AssessmentInputRaw } from "../../energy/index.ts";
import { tenants } from "./tenants.ts";

/**
 * Stored assessments of a tenant: the input as sent, the response exactly as the API answered it
 * (`body`: compressed JSON, see api/routes/assessments/stored.ts), the engine version, and the figures
 * cohort statistics group and rank by (zone, building type, construction year, floor area, primary
 * energy, class, cost, CO2) and the summary view shows (the recommended package), as columns so they
 * can be indexed and read without decompressing anything.
 */
export const assessments = sqliteTable(
  "assessments",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    createdAtMs: integer("created_at_ms").notNull(),
    engineVersion: text("engine_version").notNull(),
    input: text("input", { mode: "json" }).$type<AssessmentInputRaw>().notNull(),
    /** The engine's result, only on rows stored before `body` existed (migration 0008). */
    result: text("result", { mode: "json" }).$type<Assessment>(),
    /** The full response as answered: a format byte, then deflate-raw with a preset dictionary. */
    body: blob("body", { mode: "buffer" }),
    climateZone: text("climate_zone").notNull(),
    buildingType: text("building_type").notNull(),
    constructionYear: integer("construction_year").notNull(),
    heatedFloorAreaM2: real("heated_floor_area_m2").notNull(),
    primaryEnergyKwhM2: real("primary_energy_kwh_m2").notNull(),
    energyClass: text("energy_class").notNull(),
    ratio: real("ratio").notNull(),
    annualCostEur: real("annual_cost_eur").notNull(),
    co2KgM2: real("co2_kg_m2").notNull(),
    /** The recommended package's figures (see core/benchmark/figures.ts), for benchmarks. */
    packagePrimaryEnergyKwhM2: real("package_primary_energy_kwh_m2"),
    packageEnergyClass: text("package_energy_class"),
    packageId: text("package_id"),
    packageInvestmentEur: real("package_investment_eur"),
    packageSubsidyEur: real("package_subsidy_eur"),
    packageSavedEurPerYear: real("package_saved_eur_per_year"),
    packagePaybackYears: real("package_payback_years"),
    /**
     * The row's item of `GET /v1/assessments`, rendered once when the row is written (JSON text; the
     * row's columns never change afterwards). A page is then one aggregate of index entries instead of
     * a row of nine values per item (api/routes/assessments/list-page.ts). Null on rows written before
     * migration 0015: their items are rendered from the columns at read time.
     */
    listItem: text("list_item"),
  },
  (t) => [
    // The list's order and what it answers: a page reads index entries only, never the rows (each ~3 KB
    // with its stored body, about one table page apiece). Cohort statistics live in
    // cohort_stats/cohort_bins, so nothing searches assessments by cohort.
    index("assessments_page_idx").on(t.tenantId, t.createdAtMs, t.id, t.listItem),
  ],
);

export type AssessmentRow = typeof assessments.$inferSelect;
