import { z } from "zod";
import {
  areaBands,
  buildingTypes,
  climateZones,
  constructionPeriods,
} from "../../../core/benchmark/cohort.ts";
import { energyClasses } from "../../../core/energy/index.ts";

export const againstSchema = z
  .enum(["reference", "portfolio"])
  .default("reference")
  .describe(
    "reference: the shared reference stock (synthetic, holds no tenant's homes); portfolio: this tenant's own assessments",
  );

const cohortDescription = z
  .object({
    key: z
      .string()
      .describe("cohort key, e.g. z=B;t=apartment;p=1981-2000;a=80-119 (* = all homes)"),
    level: z.string(),
    zone: z.enum(climateZones).optional(),
    buildingType: z.enum(buildingTypes).optional(),
    period: z.enum(constructionPeriods).optional(),
    areaBand: z.enum(areaBands).optional(),
  })
  .meta({ id: "Cohort" });

const quartiles = (unit: string) =>
  z
    .object({ mean: z.number(), p25: z.number(), median: z.number(), p75: z.number() })
    .describe(unit);

export const cohortStatisticsSchema = z
  .object({
    cohort: cohortDescription,
    homes: z.number().int(),
    primaryEnergyKwhM2: quartiles("kWh/m²·yr, quartiles at 0.5 kWh/m² resolution"),
    annualCostEur: quartiles("EUR/yr, quartiles at 10 EUR resolution"),
    co2KgM2: quartiles("kg/m²·yr, quartiles at 0.5 kg/m² resolution"),
    classes: z.array(
      z.object({
        energyClass: z.enum(energyClasses),
        homes: z.number().int(),
        sharePct: z.number(),
      }),
    ),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "CohortStatistics" });

const answerFields = {
  against: z.enum(["reference", "portfolio"]),
  requested: cohortDescription.describe("the cohort asked for"),
  fallback: z.boolean().describe("a broader cohort answered: the requested one had too few homes"),
  minHomes: z.number().int(),
  statistics: cohortStatisticsSchema.nullable().describe("null: no homes stored yet"),
  note: z.string().optional(),
};

export const benchmarksResponseSchema = z.object(answerFields).meta({ id: "Benchmarks" });

const medianComparison = z
  .object({
    cohort: cohortDescription,
    homes: z.number().int(),
    medianKwhM2: z.number(),
    differencePct: z.number().describe("home vs median in %; negative is better"),
  })
  .nullable();

export const homeBenchmarkSchema = z
  .object({
    assessmentId: z.string(),
    ...answerFields,
    home: z.object({
      primaryEnergyKwhM2: z.number(),
      energyClass: z.enum(energyClasses),
      cohort: cohortDescription,
    }),
    lessEnergyThanPct: z
      .number()
      .nullable()
      .describe("uses less energy than this % of similar homes (0-100)"),
    summary: z.string(),
    topQuarter: z
      .object({
        thresholdKwhM2: z.number(),
        reached: z.boolean(),
        reductionNeededKwhM2: z.number(),
      })
      .nullable(),
    zone: medianComparison,
    national: medianComparison,
    recommendedPackage: z
      .object({
        primaryEnergyKwhM2: z.number(),
        energyClass: z.enum(energyClasses).nullable(),
        lessEnergyThanPct: z.number(),
        reachesTopQuarter: z.boolean(),
      })
      .nullable(),
  })
  .meta({ id: "HomeBenchmark" });

export const benchmarksQuery = z
  .object({
    zone: z.enum(climateZones).optional(),
    buildingType: z.enum(buildingTypes).optional(),
    period: z.enum(constructionPeriods).optional(),
    constructionYear: z.coerce.number().int().min(1800).max(2100).optional(),
    areaBand: z.enum(areaBands).optional(),
    heatedFloorAreaM2: z.coerce.number().positive().max(100_000).optional(),
    against: againstSchema,
  })
  .refine((q) => !(q.period && q.constructionYear !== undefined), {
    message: "give period or constructionYear, not both",
    path: ["constructionYear"],
  })
  .refine((q) => !(q.areaBand && q.heatedFloorAreaM2 !== undefined), {
    message: "give areaBand or heatedFloorAreaM2, not both",
    path: ["heatedFloorAreaM2"],
  });

export const benchmarkQuery = z.object({ against: againstSchema });
