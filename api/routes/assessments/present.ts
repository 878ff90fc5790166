import type { AssessmentRow } from "../../../core/db/schema/index.ts";
import type { EnergyClass } from "../../../core/energy/index.ts";

export const presentAssessment = (row: AssessmentRow) => ({
  id: row.id,
  createdAt: new Date(row.createdAtMs).toISOString(),
  engineVersion: row.engineVersion,
  input: row.input as unknown,
  assessment: row.result,
});

export const presentSummary = (row: AssessmentRow) => ({
  id: row.id,
  createdAt: new Date(row.createdAtMs).toISOString(),
  climateZone: row.climateZone,
  buildingType: row.buildingType,
  constructionYear: row.constructionYear,
  heatedFloorAreaM2: row.heatedFloorAreaM2,
  primaryEnergyKwhM2: row.primaryEnergyKwhM2,
  energyClass: row.energyClass as EnergyClass,
  annualCostEur: row.annualCostEur,
});
