/**
 * The assessment reads of the API, each selecting only what its view needs (never the stored body of
 * rows it does not answer with) and prepared once per database handle and tenant.
 */
import { eq, sql } from "drizzle-orm";
import { assessments } from "../../../core/db/schema/index.ts";
import { keysetList } from "../../conventions/pagination.ts";
import { perTenantQuery } from "../../tenancy/prepared.ts";

/** The columns of the summary view. */
export const summaryColumns = {
  id: assessments.id,
  createdAtMs: assessments.createdAtMs,
  engineVersion: assessments.engineVersion,
  climateZone: assessments.climateZone,
  buildingType: assessments.buildingType,
  constructionYear: assessments.constructionYear,
  heatedFloorAreaM2: assessments.heatedFloorAreaM2,
  energyClass: assessments.energyClass,
  ratio: assessments.ratio,
  primaryEnergyKwhM2: assessments.primaryEnergyKwhM2,
  co2KgM2: assessments.co2KgM2,
  annualCostEur: assessments.annualCostEur,
  packagePrimaryEnergyKwhM2: assessments.packagePrimaryEnergyKwhM2,
  packageEnergyClass: assessments.packageEnergyClass,
  packageId: assessments.packageId,
  packageInvestmentEur: assessments.packageInvestmentEur,
  packageSubsidyEur: assessments.packageSubsidyEur,
  packageSavedEurPerYear: assessments.packageSavedEurPerYear,
  packagePaybackYears: assessments.packagePaybackYears,
  /** Only rows stored before bodies existed have a result (their package columns are empty). */
  legacy: sql<number>`${assessments.result} is not null`.as("legacy"),
};

/** The columns of a list item (a subset of the summary view's). */
const {
  id,
  createdAtMs,
  climateZone,
  buildingType,
  constructionYear,
  heatedFloorAreaM2,
  primaryEnergyKwhM2,
  energyClass,
  annualCostEur,
} = summaryColumns;
const listColumns = {
  id,
  createdAtMs,
  climateZone,
  buildingType,
  constructionYear,
  heatedFloorAreaM2,
  primaryEnergyKwhM2,
  energyClass,
  annualCostEur,
};

const byId = sql.placeholder("id");

/** One assessment's summary columns. */
export const summaryQuery = perTenantQuery((tenant) =>
  tenant.db
    .select(summaryColumns)
    .from(assessments)
    .where(tenant.where(assessments, eq(assessments.id, byId)))
    .prepare(),
);

/** One assessment's stored body (and, for rows from before bodies, what the full view is built from). */
export const bodyQuery = perTenantQuery((tenant) =>
  tenant.db
    .select({
      id: assessments.id,
      createdAtMs: assessments.createdAtMs,
      engineVersion: assessments.engineVersion,
      body: assessments.body,
      input: assessments.input,
      result: assessments.result,
    })
    .from(assessments)
    .where(tenant.where(assessments, eq(assessments.id, byId)))
    .prepare(),
);

/** The tenant's newest assessments, the list item's columns only, one keyset page at a time. */
export const latestQuery = keysetList(assessments, assessments.createdAtMs, {
  columns: listColumns,
});
