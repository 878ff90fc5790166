/**
 * assess(): validate an input, compute the home and its KENAK reference building with the monthly
 * method, rate it, cost it at the given prices and search the upgrade packages. Pure: no I/O, no clock
 * (the caller passes `now`), runtime-neutral (Workers and Node).
 */
import { heatTransfer, monthlyBalance } from "./calc/balance.ts";
import { deliveredEnergy, hotWaterNeed } from "./calc/energy.ts";
import { energyClass } from "./classify.ts";
import { EnergyInputError, type InputIssue } from "./errors.ts";
import { applyMeasures, type MeasureContext, type MeasureId } from "./measures.ts";
import type { Assumption, BuildingModel } from "./model.ts";
import { searchUpgrades } from "./packages.ts";
import { energyClassGreek } from "./reference/classes.ts";
import { economicsDefaults, exoikonomo2025, exoikonomoRates } from "./reference/costs.ts";
import { kenakFactorsSource, realGridCo2Source } from "./reference/factors.ts";
import { defaultPrices } from "./reference/prices.ts";
import { type Carrier, energyCarriers } from "./reference/systems.ts";
import { referenceBuilding } from "./reference-building.ts";
import { resolveModel } from "./resolve/index.ts";
import { type CompleteInput, completeInput } from "./resolve/typical.ts";
import { type AssessmentInput, assessmentInputSchema } from "./schema/input.ts";
import type { Assessment } from "./schema/output.ts";
import { assessUncertainty } from "./uncertainty.ts";
import { ratingRatio, requirePositiveTransmission } from "./validity.ts";

export const ENGINE_VERSION = "1.2.0";
const METHOD =
  "ISO 13790 / EN ISO 52016-1 monthly quasi-steady-state method as adopted by TOTEE 20701-1 (KENAK)";

export interface PriceInput {
  eurPerKwh: number;
  /** ISO date the price refers to. */
  asOf: string;
  source?: string;
}

export interface AssessOptions {
  /** Current prices per carrier; carriers left out use the shipped defaults (and say so). */
  prices?: Partial<Record<Carrier, PriceInput>>;
  /** The assessment time: bounds construction years and dates new equipment. */
  now?: Date | string;
  /**
   * Add `uncertainty`: the class distribution and p10/p50/p90 over the estimated parameters, and which
   * unknown matters most (about 2-3 ms more per home; see uncertainty.ts and docs/energy-model.md).
   */
  uncertainty?: boolean;
}

/** The year of the newest shipped price: stands for "now" when the caller gives none. */
const DATA_YEAR = Math.max(...energyCarriers.map((c) => Number(defaultPrices[c].asOf.slice(0, 4))));

/** Validates a raw input; throws EnergyInputError naming every bad field. */
export function parseAssessmentInput(
  raw: unknown,
  options: { now?: Date | string } = {},
): AssessmentInput {
  const parsed = assessmentInputSchema.safeParse(raw);
  if (!parsed.success) throw EnergyInputError.fromZod(parsed.error);
  const input = parsed.data;
  const nowYear = yearOf(options.now);
  if (nowYear !== null) {
    const issues: InputIssue[] = [];
    const future = (path: (string | number)[], year: number | undefined) => {
      if (year !== undefined && year > nowYear) {
        issues.push({ path, message: `${year} is in the future (now is ${nowYear})` });
      }
    };
    future(["constructionYear"], input.constructionYear);
    future(["windows", "installedYear"], input.windows?.installedYear);
    future(["systems", "heating", "installedYear"], input.systems?.heating?.installedYear);
    future(["systems", "cooling", "installedYear"], input.systems?.cooling?.installedYear);
    future(["systems", "hotWater", "installedYear"], input.systems?.hotWater?.installedYear);
    if (issues.length) throw new EnergyInputError(issues);
  }
  return input;
}

export function assess(raw: unknown, options: AssessOptions = {}): Assessment {
  const assumptions: Assumption[] = [];
  const note = (a: Assumption) => assumptions.push(a);
  const { input, unknowns } = completeInput(parseAssessmentInput(raw, options), note);
  const model = resolveModel(input, note);
  const area = model.geometry.floorAreaM2;

  const ht = heatTransfer(model);
  requirePositiveTransmission(model, ht);
  const months = monthlyBalance(model, ht);
  const dhwNeed = hotWaterNeed(model);
  const energy = deliveredEnergy(model, months, dhwNeed);

  const ref: BuildingModel = referenceBuilding(model);
  const refMonths = monthlyBalance(ref);
  const refEnergy = deliveredEnergy(ref, refMonths, dhwNeed);
  const ratio = ratingRatio(
    energy.primaryKwh,
    refEnergy.primaryKwh,
    model.usage,
    ref.systems.cooling.coverage,
  );
  const cls = energyClass(ratio);

  const prices = resolvePrices(options.prices);
  const priceValues = Object.fromEntries(
    energyCarriers.map((c) => [c, prices[c].eurPerKwh]),
  ) as Record<Carrier, number>;
  const byCarrierEur = zeroByCarrier();
  let annualEur = 0;
  for (const c of energyCarriers) {
    byCarrierEur[c] = energy.deliveredKwh[c] * priceValues[c];
    annualEur += byCarrierEur[c];
  }

  const economics = {
    discountRate: input.economics?.discountRate ?? economicsDefaults.discountRate,
    horizonYears: input.economics?.horizonYears ?? economicsDefaults.horizonYears,
  };
  if (input.economics?.discountRate === undefined || input.economics?.horizonYears === undefined) {
    assumptions.push({
      field: "economics",
      value: `${economics.discountRate * 100} % over ${economics.horizonYears} years`,
      source:
        "ESTIMATE: real discount rate and horizon; constant energy prices; measures assumed to last the horizon",
      estimate: true,
    });
  }
  const incomeCategory = input.exoikonomo?.incomeCategory ?? "cat2_other";
  if (!input.exoikonomo) {
    assumptions.push({
      field: "exoikonomo.incomeCategory",
      value: incomeCategory,
      source:
        "default: the general income category (50 % subsidy); dwelling eligibility (main residence, legality) is not checked",
      estimate: false,
    });
  }
  assumptions.push(
    {
      field: "factors.primaryEnergyAndCo2",
      value: "KENAK",
      source: kenakFactorsSource,
      estimate: false,
    },
    {
      field: "factors.realGridCo2",
      value: 0.3,
      unit: "kg/kWh",
      source: realGridCo2Source,
      estimate: true,
    },
  );

  const nowYear = yearOf(options.now) ?? DATA_YEAR;
  if (options.now === undefined) {
    assumptions.push({
      field: "now",
      value: DATA_YEAR,
      source: "no `now` given: the year of the newest shipped price dates new equipment",
      estimate: false,
    });
  }
  const ctx: MeasureContext = {
    input,
    model,
    installYear: Math.max(nowYear, input.constructionYear),
  };
  const search = searchUpgrades(
    ctx,
    {
      deliveredKwh: energy.deliveredKwh,
      primaryKwh: energy.primaryKwh,
      costEur: annualEur,
      energyClass: cls,
      referencePrimaryKwh: refEnergy.primaryKwh,
    },
    priceValues,
    economics,
    incomeCategory,
  );

  let heatingNeed = 0;
  let coolingNeed = 0;
  let refHeatingNeed = 0;
  let refCoolingNeed = 0;
  for (let m = 0; m < 12; m++) {
    heatingNeed += (months[m] as (typeof months)[number]).heatingNeedKwh;
    coolingNeed += (months[m] as (typeof months)[number]).coolingNeedKwh;
    refHeatingNeed += (refMonths[m] as (typeof months)[number]).heatingNeedKwh;
    refCoolingNeed += (refMonths[m] as (typeof months)[number]).coolingNeedKwh;
  }
  const dhwTotal = dhwNeed.reduce((a, b) => a + b, 0);
  const delivered = energy.deliveredKwh;
  let deliveredTotal = 0;
  for (const c of energyCarriers) deliveredTotal += delivered[c];

  const uncertainty = options.uncertainty
    ? assessUncertainty(input, unknowns, model, priceValues)
    : undefined;

  return {
    engine: { version: ENGINE_VERSION, method: METHOD },
    computedAt:
      yearOf(options.now) === null ? null : new Date(options.now as Date | string).toISOString(),
    location: {
      station: model.site.stationId,
      stationName: model.site.station.name,
      zone: model.site.zone,
    },
    heatedFloorAreaM2: area,
    heatTransfer: ht,
    needs: {
      heatingKwhM2: heatingNeed / area,
      coolingKwhM2: coolingNeed / area,
      hotWaterKwhM2: dhwTotal / area,
      monthly: months.map((mb, m) => ({
        ...mb,
        hotWaterNeedKwh: dhwNeed[m] as number,
        solarThermalKwh: energy.solarThermalKwh[m] as number,
        pvProductionKwh: energy.pvProductionKwh[m] as number,
      })),
    },
    delivered: {
      byCarrierKwh: delivered,
      byUseKwh: energy.deliveredByUseKwh,
      pvSelfUsedKwh: energy.pvUsedKwh,
      totalKwhM2: deliveredTotal / area,
    },
    primaryEnergy: {
      kwhM2: energy.primaryKwh / area,
      byUseKwhM2: {
        heating: energy.primaryByUseKwh.heating / area,
        cooling: energy.primaryByUseKwh.cooling / area,
        hotWater: energy.primaryByUseKwh.hotWater / area,
        pvOffset: energy.primaryByUseKwh.pvOffset / area,
      },
    },
    co2: { kenakKgM2: energy.co2KenakKg / area, realGridKgM2: energy.co2RealGridKg / area },
    rating: {
      energyClass: cls,
      energyClassGreek: energyClassGreek[cls],
      ratio,
      referenceBuilding: {
        primaryEnergyKwhM2: refEnergy.primaryKwh / area,
        heatingNeedKwhM2: refHeatingNeed / area,
        coolingNeedKwhM2: refCoolingNeed / area,
        description:
          "same geometry, location and use; KENAK 2017 U-max envelope, glazing g 0.55 / frame 20 %, 5.5 m³/h·m² window infiltration, 250 kJ/m²K; reference systems (ESTIMATE): oil boiler 2011+, insulated distribution, radiators; split units; electric water heater",
      },
    },
    cost: {
      annualEur,
      byCarrierEur,
      prices,
      scope:
        "heating, cooling and hot water (the KENAK residential scope); appliances and lighting excluded",
    },
    assumptions,
    ...(uncertainty ? { uncertainty } : {}),
    recommendations: {
      economics: {
        ...economics,
        basis: "NPV = -investment + annual saving x annuity factor; constant real prices",
      },
      exoikonomo: {
        incomeCategory,
        subsidyRate: exoikonomoRates[incomeCategory],
        minClassJump: exoikonomo2025.minClassJump,
        minPrimarySavingPct: exoikonomo2025.minPrimarySavingPct,
        maxEligibleEur: exoikonomo2025.maxEligibleEurPerDwelling * model.geometry.dwellings,
        source: exoikonomo2025.source,
      },
      measures: search.singles,
      packages: search.packages,
      cheapestEligible: search.cheapestEligible,
      cheapestClassB: search.cheapestClassB,
      search: {
        evaluated: search.evaluated,
        exhaustive: true,
        bound: `all subsets of the applicable measures with at most one new heat generator: at most 2^4 envelope x 3 heating x 2 solar water x 2 PV = 192 options; options that do not lower primary energy are not offered (${search.notSaving} of the ${search.evaluated} evaluated)`,
      },
    },
  };
}

function resolvePrices(given: AssessOptions["prices"]): Assessment["cost"]["prices"] {
  const out = {} as Assessment["cost"]["prices"];
  for (const c of energyCarriers) {
    const p = given?.[c];
    const d = defaultPrices[c];
    if (p && !(Number.isFinite(p.eurPerKwh) && p.eurPerKwh > 0 && p.eurPerKwh < 10)) {
      throw new EnergyInputError([
        {
          path: ["prices", c, "eurPerKwh"],
          message: "a price must be a positive EUR/kWh below 10",
        },
      ]);
    }
    out[c] = p
      ? {
          eurPerKwh: p.eurPerKwh,
          asOf: p.asOf,
          source: p.source ?? "caller",
          isDefault: false,
          estimate: false,
        }
      : {
          eurPerKwh: d.eurPerKwh,
          asOf: d.asOf,
          source: d.source,
          isDefault: true,
          estimate: d.estimate,
        };
  }
  return out;
}

const zeroByCarrier = (): Record<Carrier, number> => ({
  electricity: 0,
  natural_gas: 0,
  heating_oil: 0,
  biomass: 0,
});

function yearOf(now: Date | string | undefined): number | null {
  if (now === undefined) return null;
  const d = new Date(now);
  return Number.isNaN(d.getTime()) ? null : d.getUTCFullYear();
}

/**
 * The input of a home with upgrade measures applied: assessing it gives the figures of the matching
 * package (the property the package search is tested against).
 */
export function applyUpgrade(
  raw: unknown,
  ids: readonly MeasureId[],
  options: { now?: Date | string } = {},
): CompleteInput {
  const { input } = completeInput(parseAssessmentInput(raw, options), null);
  const model = resolveModel(input, null);
  const installYear = Math.max(yearOf(options.now) ?? DATA_YEAR, input.constructionYear);
  return applyMeasures(input, ids, { input, model, installYear }) as CompleteInput;
}
