import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { AssessmentInputRaw } from "../../energy/index.ts";

/**
 * Cohort statistics, maintained incrementally in the same transaction that stores a home (see
 * core/benchmark/store.ts). `scope` is `reference` for the shared reference stock, or a tenant id for
 * the statistics of that tenant's own assessments. `cohort` is a cohort key (core/benchmark/cohort.ts).
 */
export const cohortStats = sqliteTable(
  "cohort_stats",
  {
    scope: text("scope").notNull(),
    cohort: text("cohort").notNull(),
    homes: integer("homes").notNull(),
    sumPrimaryEnergyKwhM2: real("sum_pe").notNull(),
    sumAnnualCostEur: real("sum_cost").notNull(),
    sumCo2KgM2: real("sum_co2").notNull(),
    updatedAtMs: integer("updated_at_ms").notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.cohort] })],
);

/**
 * Histograms per cohort and metric: `pe` (primary energy, 0.5 kWh/m² bins), `cost` (annual cost,
 * 10 EUR bins), `co2` (0.5 kg/m² bins) and `class` (index of the KENAK class). Percentile ranks and
 * quartiles read these, never the homes themselves.
 */
export const cohortBins = sqliteTable(
  "cohort_bins",
  {
    scope: text("scope").notNull(),
    cohort: text("cohort").notNull(),
    metric: text("metric").notNull(),
    bin: integer("bin").notNull(),
    homes: integer("homes").notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.cohort, t.metric, t.bin] })],
);

/**
 * The reference stock: synthetic homes (`npm run seed`) run through the engine, kept as the input and
 * the figures benchmarks need (the full result is reproducible from the input and engine version).
 * Shared by all tenants: it holds no tenant's data.
 */
export const stockHomes = sqliteTable(
  "stock_homes",
  {
    id: text("id").primaryKey(),
    seedRun: text("seed_run").notNull(),
    createdAtMs: integer("created_at_ms").notNull(),
    engineVersion: text("engine_version").notNull(),
    input: text("input", { mode: "json" }).$type<AssessmentInputRaw>().notNull(),
    climateZone: text("climate_zone").notNull(),
    buildingType: text("building_type").notNull(),
    constructionYear: integer("construction_year").notNull(),
    heatedFloorAreaM2: real("heated_floor_area_m2").notNull(),
    primaryEnergyKwhM2: real("primary_energy_kwh_m2").notNull(),
    energyClass: text("energy_class").notNull(),
    ratio: real("ratio").notNull(),
    annualCostEur: real("annual_cost_eur").notNull(),
    co2KgM2: real("co2_kg_m2").notNull(),
    packagePrimaryEnergyKwhM2: real("package_primary_energy_kwh_m2"),
    packageEnergyClass: text("package_energy_class"),
  },
  (t) => [index("stock_homes_seed_run_idx").on(t.seedRun)],
);

export type StockHomeRow = typeof stockHomes.$inferSelect;
