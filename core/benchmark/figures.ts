/**
 * The figures of a home that benchmarks count and rank: its cohort facts, primary energy, cost, CO2 and
 * class, and where its recommended upgrade package would take it.
 *
 * The recommended package is the cheapest one eligible for Exoikonomo, else the cheapest reaching class
 * B, else the package with the best net present value: what a homeowner would most likely be advised to
 * do first.
 */
import type { Assessment, EnergyClass } from "../energy/index.ts";
import type { ClimateZone } from "../energy/reference/zones.ts";
import type { BuildingType, HomeFacts } from "./cohort.ts";

export interface HomeFigures extends HomeFacts {
  primaryEnergyKwhM2: number;
  annualCostEur: number;
  co2KgM2: number;
  energyClass: EnergyClass;
  packagePrimaryEnergyKwhM2: number | null;
  packageEnergyClass: EnergyClass | null;
}

type UpgradeOption = Assessment["recommendations"]["packages"][number];

export function recommendedPackage(a: Assessment): UpgradeOption | null {
  const r = a.recommendations;
  if (r.cheapestEligible) return r.cheapestEligible;
  if (r.cheapestClassB) return r.cheapestClassB;
  let best: UpgradeOption | null = null;
  for (const p of r.packages) if (!best || p.npvEur > best.npvEur) best = p;
  return best;
}

export function homeFigures(
  input: { buildingType: BuildingType; constructionYear: number },
  a: Assessment,
): HomeFigures {
  const pkg = recommendedPackage(a);
  return {
    zone: a.location.zone as ClimateZone,
    buildingType: input.buildingType,
    constructionYear: input.constructionYear,
    heatedFloorAreaM2: a.heatedFloorAreaM2,
    primaryEnergyKwhM2: a.primaryEnergy.kwhM2,
    annualCostEur: a.cost.annualEur,
    co2KgM2: a.co2.kenakKgM2,
    energyClass: a.rating.energyClass,
    packagePrimaryEnergyKwhM2: pkg?.primaryEnergyKwhM2 ?? null,
    packageEnergyClass: pkg?.energyClass ?? null,
  };
}
