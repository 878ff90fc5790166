import { recommendedPackage } from "../../../core/benchmark/figures.ts";
import type { AssessmentRow } from "../../../core/db/schema/index.ts";
import type { Assessment, EnergyClass } from "../../../core/energy/index.ts";
import { isoTime } from "../../../core/time/iso.ts";

/**
 * Significant digits of every non-integer number in an assessment response. The engine computes in
 * full double precision; an answer like 203.2033644579829 kWh/m² claims a precision no energy model
 * has, costs bytes on every phone and defeats compression. Five significant digits keep a relative
 * error below 5·10⁻⁵ (far inside the model's own uncertainty); classes and eligibility are decided on
 * the unrounded values before presentation.
 */
export const PRESENTED_DIGITS = 5;

/** `value` to `digits` significant digits (integers and non-finite values unchanged). */
export function roundSignificant(value: number, digits = PRESENTED_DIGITS): number {
  if (Number.isInteger(value) || !Number.isFinite(value)) return value;
  const shift = digits - 1 - Math.floor(Math.log10(Math.abs(value)));
  if (shift > 0) {
    const m = 10 ** shift;
    return Math.round(value * m) / m;
  }
  // At or beyond `digits` integer digits: round to a power of ten (exact in doubles for integers).
  const p = 10 ** -shift;
  return Math.round(value / p) * p;
}

/**
 * `value` with every number rounded by `roundSignificant`, in place (objects and arrays are changed and
 * returned): the engine's result is made for this one response, so no copy is needed.
 */
export function roundNumbers<T>(value: T): T {
  if (typeof value === "number") return roundSignificant(value) as T;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = roundNumbers(value[i]);
    return value;
  }
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    for (const key in record) {
      const v = record[key];
      if (typeof v === "number") record[key] = roundSignificant(v);
      else if (v !== null && typeof v === "object") roundNumbers(v);
    }
  }
  return value;
}

interface Identity {
  id: string;
  createdAtMs: number;
  engineVersion: string;
}

/**
 * The full view: the input as sent and the engine's result with its numbers rounded for presentation
 * (in place: take the figures to store or rank from the result before presenting it).
 */
export const presentFull = (row: Identity, input: unknown, result: Assessment) => ({
  id: row.id,
  createdAt: isoTime(row.createdAtMs),
  engineVersion: row.engineVersion,
  input,
  assessment: roundNumbers(result),
});

/** The figures of the recommended package that the summary view shows, as stored in columns. */
export function packageColumns(result: Assessment) {
  const pkg = recommendedPackage(result);
  return {
    packageId: pkg?.id ?? null,
    packageInvestmentEur: pkg?.investmentEur ?? null,
    packageSubsidyEur: pkg ? pkg.exoikonomo.subsidyEur : null,
    packageSavedEurPerYear: pkg?.savedEurPerYear ?? null,
    packagePaybackYears: pkg?.simplePaybackYears ?? null,
  };
}

type SummaryRow = Pick<
  AssessmentRow,
  | "id"
  | "createdAtMs"
  | "engineVersion"
  | "climateZone"
  | "buildingType"
  | "constructionYear"
  | "heatedFloorAreaM2"
  | "energyClass"
  | "ratio"
  | "primaryEnergyKwhM2"
  | "co2KgM2"
  | "annualCostEur"
  | "packagePrimaryEnergyKwhM2"
  | "packageEnergyClass"
  | "packageId"
  | "packageInvestmentEur"
  | "packageSubsidyEur"
  | "packageSavedEurPerYear"
  | "packagePaybackYears"
>;

const maybe = (v: number | null) => (v === null ? null : roundSignificant(v));

/**
 * The summary view (a few hundred bytes, for mobile clients): class, primary energy, CO2, cost, the
 * recommended package, and links to the full view and the benchmark. Built from columns only, so a
 * `GET …?view=summary` reads no JSON and answers the same bytes as the `POST` did.
 */
export const presentSummaryView = (row: SummaryRow) => ({
  id: row.id,
  view: "summary" as const,
  createdAt: isoTime(row.createdAtMs),
  engineVersion: row.engineVersion,
  climateZone: row.climateZone,
  buildingType: row.buildingType,
  constructionYear: row.constructionYear,
  heatedFloorAreaM2: roundSignificant(row.heatedFloorAreaM2),
  energyClass: row.energyClass as EnergyClass,
  ratio: roundSignificant(row.ratio),
  primaryEnergyKwhM2: roundSignificant(row.primaryEnergyKwhM2),
  co2KgM2: roundSignificant(row.co2KgM2),
  annualCostEur: roundSignificant(row.annualCostEur),
  recommendedPackage:
    row.packageId === null
      ? null
      : {
          id: row.packageId,
          energyClass: row.packageEnergyClass as EnergyClass,
          primaryEnergyKwhM2: maybe(row.packagePrimaryEnergyKwhM2),
          investmentEur: maybe(row.packageInvestmentEur),
          subsidyEur: maybe(row.packageSubsidyEur),
          savedEurPerYear: maybe(row.packageSavedEurPerYear),
          simplePaybackYears: maybe(row.packagePaybackYears),
        },
  links: {
    self: `/v1/assessments/${row.id}?view=summary`,
    full: `/v1/assessments/${row.id}`,
    benchmark: `/v1/assessments/${row.id}/benchmark`,
  },
});

/** A list item (unchanged shape of `GET /v1/assessments`). */
export const presentSummary = (
  row: Pick<
    SummaryRow,
    | "id"
    | "createdAtMs"
    | "climateZone"
    | "buildingType"
    | "constructionYear"
    | "heatedFloorAreaM2"
    | "primaryEnergyKwhM2"
    | "energyClass"
    | "annualCostEur"
  >,
) => ({
  id: row.id,
  createdAt: isoTime(row.createdAtMs),
  climateZone: row.climateZone,
  buildingType: row.buildingType,
  constructionYear: row.constructionYear,
  heatedFloorAreaM2: row.heatedFloorAreaM2,
  primaryEnergyKwhM2: row.primaryEnergyKwhM2,
  energyClass: row.energyClass as EnergyClass,
  annualCostEur: row.annualCostEur,
});
