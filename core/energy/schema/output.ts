/**
 * The assessment result. The zod schema documents the response (OpenAPI) and the Assessment type is
 * inferred from it, so the engine and the documentation cannot drift apart.
 */
import { z } from "zod";
import { measureIds } from "../measures.ts";
import { energyClasses } from "../reference/classes.ts";
import { stationIds } from "../reference/climate.ts";
import { exoikonomoIncomeCategories } from "../reference/costs.ts";
import { climateZones } from "../reference/zones.ts";

const kwh = z.number().describe("kWh");
const byCarrier = z
  .object({
    electricity: z.number(),
    natural_gas: z.number(),
    heating_oil: z.number(),
    biomass: z.number(),
  })
  .describe("per energy carrier");
const energyClass = z
  .enum(energyClasses)
  .describe("KENAK class (Latin transliteration: C = Γ, D = Δ, Z = Ζ, H = Η)");

export const monthSchema = z.object({
  month: z.number().int().min(1).max(12),
  heatingSeason: z.boolean(),
  coolingSeason: z.boolean(),
  transmissionKwh: kwh.describe("heating-mode transmission heat transfer"),
  ventilationKwh: kwh.describe("heating-mode ventilation heat transfer"),
  internalGainsKwh: kwh,
  solarGainsKwh: kwh.describe("winter-shaded window gains plus net opaque solar gains"),
  gainUtilisation: z.number().describe("ISO 13790 eta_H,gn"),
  heatingIntermittency: z.number().describe("ISO 13790 a_H,red for 18 h operation"),
  heatingNeedKwh: kwh,
  coolingHeatTransferKwh: kwh,
  coolingGainsKwh: kwh,
  lossUtilisation: z.number().describe("ISO 13790 eta_C,ls"),
  coolingIntermittency: z.number(),
  coolingNeedKwh: kwh,
  hotWaterNeedKwh: kwh,
  solarThermalKwh: kwh,
  pvProductionKwh: kwh,
});

export const assumptionSchema = z.object({
  field: z.string().describe("input path the default stands for"),
  value: z.union([z.string(), z.number(), z.boolean()]),
  unit: z.string().optional(),
  source: z.string(),
  estimate: z.boolean().describe("true when the number is an estimate, not read from a source"),
});

export const priceUsedSchema = z.object({
  eurPerKwh: z.number(),
  asOf: z.string(),
  source: z.string(),
  isDefault: z.boolean().describe("true when the shipped reference price was used"),
  estimate: z.boolean(),
});

export const exoikonomoResultSchema = z.object({
  eligible: z.boolean(),
  classJump: z.number().int(),
  primarySavingPct: z.number(),
  eligibleCostEur: z.number(),
  subsidyRate: z.number(),
  subsidyEur: z.number(),
  netCostEur: z.number(),
  reasons: z.array(z.string()).describe("why the option is not eligible (empty when it is)"),
});

const percentilesSchema = z.object({ p10: z.number(), p50: z.number(), p90: z.number() });
const unknownIds = [
  "systems.heating",
  "systems.cooling",
  "solarThermal",
  "uValues",
  "windows.airtight",
  "geometry.windowsM2",
  "occupancy.persons",
] as const;

export const uncertaintySchema = z
  .object({
    samples: z.number().int(),
    seed: z
      .number()
      .int()
      .describe("PRNG seed, a hash of the input: the same input gives the same answer"),
    classDistribution: z
      .array(z.object({ energyClass, share: z.number().describe("0-1") }))
      .describe("classes reached by the samples, most frequent first"),
    summary: z.string().describe('the distribution in words, e.g. "E 58%, D 31%, Z 11%"'),
    modeClass: energyClass,
    primaryEnergyKwhM2: percentilesSchema,
    annualCostEur: percentilesSchema,
    ratio: percentilesSchema.describe("T = EP / EP_ref"),
    unknowns: z
      .array(
        z.object({
          field: z.enum(unknownIds).describe("the input to declare"),
          label: z.string(),
          varianceShare: z
            .number()
            .describe("share of the one-at-a-time variance of T this unknown accounts for"),
          ratioRange: z.tuple([z.number(), z.number()]).describe("T over this unknown alone"),
          classesAlone: z.array(energyClass).describe("classes over this unknown alone"),
        }),
      )
      .describe("the estimated unknowns, the most influential first"),
    narrowMost: z
      .object({ field: z.enum(unknownIds), advice: z.string() })
      .nullable()
      .describe("the unknown whose declaration would narrow the answer most"),
    method: z.string(),
  })
  .describe(
    "how sure the class is while estimates stand in for unknowns (only with `uncertainty`; see AssessOptions)",
  );

export const upgradeOptionSchema = z.object({
  id: z.string(),
  measures: z.array(z.enum(measureIds)),
  labels: z.array(z.string()),
  investmentEur: z.number(),
  investmentIncludesEstimates: z.boolean(),
  costBasis: z.array(
    z.object({
      measure: z.enum(measureIds),
      eur: z.number(),
      basis: z.string(),
      estimate: z.boolean(),
    }),
  ),
  deliveredKwh: byCarrier,
  savedDeliveredKwh: kwh.describe("final energy saved per year"),
  savedPrimaryKwh: kwh,
  savedPrimaryPct: z.number(),
  savedEurPerYear: z.number(),
  simplePaybackYears: z.number().nullable(),
  npvEur: z.number(),
  primaryEnergyKwhM2: z.number(),
  ratio: z.number(),
  energyClass,
  exoikonomo: exoikonomoResultSchema,
});

export const assessmentSchema = z.object({
  engine: z.object({ version: z.string(), method: z.string() }),
  computedAt: z.string().nullable().describe("the `now` the caller passed, ISO 8601"),
  location: z.object({
    station: z.enum(stationIds),
    stationName: z.string(),
    zone: z.enum(climateZones),
  }),
  heatedFloorAreaM2: z.number(),
  heatTransfer: z.object({
    transmissionWK: z.number(),
    ventilationWK: z.number(),
    heatCapacityWhK: z.number(),
    timeConstantH: z.number(),
  }),
  needs: z.object({
    heatingKwhM2: z.number(),
    coolingKwhM2: z.number(),
    hotWaterKwhM2: z.number(),
    monthly: z.array(monthSchema).length(12),
  }),
  delivered: z.object({
    byCarrierKwh: byCarrier,
    byUseKwh: z.object({ heating: kwh, cooling: kwh, hotWater: kwh }),
    pvSelfUsedKwh: kwh,
    totalKwhM2: z.number(),
  }),
  primaryEnergy: z.object({
    kwhM2: z.number(),
    byUseKwhM2: z.object({
      heating: z.number(),
      cooling: z.number(),
      hotWater: z.number(),
      pvOffset: z.number(),
    }),
  }),
  co2: z.object({
    kenakKgM2: z.number().describe("with the KENAK emission factors"),
    realGridKgM2: z.number().describe("electricity at the estimated real grid intensity"),
  }),
  rating: z.object({
    energyClass,
    energyClassGreek: z.string(),
    ratio: z.number().describe("T = EP / EP_ref"),
    referenceBuilding: z.object({
      primaryEnergyKwhM2: z.number(),
      heatingNeedKwhM2: z.number(),
      coolingNeedKwhM2: z.number(),
      description: z.string(),
    }),
  }),
  cost: z.object({
    annualEur: z.number(),
    byCarrierEur: byCarrier,
    prices: z.object({
      electricity: priceUsedSchema,
      natural_gas: priceUsedSchema,
      heating_oil: priceUsedSchema,
      biomass: priceUsedSchema,
    }),
    scope: z.string(),
  }),
  assumptions: z.array(assumptionSchema),
  uncertainty: uncertaintySchema.optional(),
  recommendations: z.object({
    economics: z.object({ discountRate: z.number(), horizonYears: z.number(), basis: z.string() }),
    exoikonomo: z.object({
      incomeCategory: z.enum(exoikonomoIncomeCategories),
      subsidyRate: z.number(),
      minClassJump: z.number(),
      minPrimarySavingPct: z.number(),
      maxEligibleEur: z.number(),
      source: z.string(),
    }),
    measures: z
      .array(upgradeOptionSchema)
      .describe("each applicable measure on its own that lowers primary energy"),
    packages: z
      .array(upgradeOptionSchema)
      .describe("packages that lower primary energy, on the cost / primary-energy Pareto front"),
    cheapestEligible: upgradeOptionSchema.nullable(),
    cheapestClassB: upgradeOptionSchema.nullable(),
    search: z.object({ evaluated: z.number().int(), exhaustive: z.boolean(), bound: z.string() }),
  }),
});

export type Assessment = z.infer<typeof assessmentSchema>;
