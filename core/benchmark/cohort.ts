/**
 * Cohorts of similar homes: KENAK climate zone x building type x construction period x floor-area band.
 *
 * Construction periods follow the Greek regulatory eras the TABULA typology uses: no insulation rules
 * (<=1980), the 1979 thermal-insulation regulation (1981-2000 and 2001-2010, split as TABULA does) and
 * KENAK (>=2011). Floor-area bands split dwellings the way Greek homes are sized: studios and small
 * flats (<50 m²), typical flats (50-79, 80-119), family houses (120-199) and large homes or whole
 * buildings (>=200).
 *
 * Every stored home counts in six cohorts, from the finest to the whole country; an answer comes from
 * the finest cohort with at least MIN_COHORT_SIZE homes along the fallback chain
 * zone+type+period+area -> zone+type+period -> zone+type -> type -> all homes, and says which one
 * answered. The zone-only cohort is kept for the "against the zone median" comparison.
 */
import { type ClimateZone, climateZones } from "../energy/reference/zones.ts";
import { buildingTypes } from "../energy/schema/input.ts";

export const constructionPeriods = ["<=1980", "1981-2000", "2001-2010", ">=2011"] as const;
export type ConstructionPeriod = (typeof constructionPeriods)[number];

export const areaBands = ["<50", "50-79", "80-119", "120-199", ">=200"] as const;
export type AreaBand = (typeof areaBands)[number];

export type BuildingType = (typeof buildingTypes)[number];

/** Below this many homes a cohort's percentiles move by more than a point per home: fall back. */
export const MIN_COHORT_SIZE = 30;

export function constructionPeriod(year: number): ConstructionPeriod {
  if (year <= 1980) return "<=1980";
  if (year <= 2000) return "1981-2000";
  if (year <= 2010) return "2001-2010";
  return ">=2011";
}

export function areaBand(areaM2: number): AreaBand {
  if (areaM2 < 50) return "<50";
  if (areaM2 < 80) return "50-79";
  if (areaM2 < 120) return "80-119";
  if (areaM2 < 200) return "120-199";
  return ">=200";
}

/** A cohort: any dimension left out is "all". */
export interface Cohort {
  zone?: ClimateZone;
  buildingType?: BuildingType;
  period?: ConstructionPeriod;
  areaBand?: AreaBand;
}

export type CohortLevel =
  | "zone_type_period_area"
  | "zone_type_period"
  | "zone_type"
  | "type"
  | "all";

/** The canonical key of a cohort, e.g. `z=B;t=apartment;p=1981-2000;a=80-119`, `*` for all homes. */
export function cohortKey(c: Cohort): string {
  const parts: string[] = [];
  if (c.zone) parts.push(`z=${c.zone}`);
  if (c.buildingType) parts.push(`t=${c.buildingType}`);
  if (c.period) parts.push(`p=${c.period}`);
  if (c.areaBand) parts.push(`a=${c.areaBand}`);
  return parts.length === 0 ? "*" : parts.join(";");
}

export function parseCohortKey(key: string): Cohort {
  const cohort: Cohort = {};
  if (key === "*") return cohort;
  for (const part of key.split(";")) {
    const [name, value] = part.split("=") as [string, string];
    if (name === "z") cohort.zone = value as ClimateZone;
    else if (name === "t") cohort.buildingType = value as BuildingType;
    else if (name === "p") cohort.period = value as ConstructionPeriod;
    else if (name === "a") cohort.areaBand = value as AreaBand;
  }
  return cohort;
}

export function cohortLevel(c: Cohort): CohortLevel | "zone" | "custom" {
  const has = [c.zone, c.buildingType, c.period, c.areaBand].map((v) => v !== undefined);
  const shape = has.map((h) => (h ? 1 : 0)).join("");
  const levels: Record<string, CohortLevel | "zone"> = {
    "1111": "zone_type_period_area",
    "1110": "zone_type_period",
    "1100": "zone_type",
    "0100": "type",
    "1000": "zone",
    "0000": "all",
  };
  return levels[shape] ?? "custom";
}

/** What places a home in its cohorts. */
export interface HomeFacts {
  zone: ClimateZone;
  buildingType: BuildingType;
  constructionYear: number;
  heatedFloorAreaM2: number;
}

export function finestCohort(home: HomeFacts): Required<Cohort> {
  return {
    zone: home.zone,
    buildingType: home.buildingType,
    period: constructionPeriod(home.constructionYear),
    areaBand: areaBand(home.heatedFloorAreaM2),
  };
}

/** The fallback chain, finest first. */
export function fallbackChain(c: Required<Cohort>): Cohort[] {
  return [
    c,
    { zone: c.zone, buildingType: c.buildingType, period: c.period },
    { zone: c.zone, buildingType: c.buildingType },
    { buildingType: c.buildingType },
    {},
  ];
}

/** Every cohort a home is counted in: the fallback chain plus its zone. */
export function cohortsOf(home: HomeFacts): Cohort[] {
  const finest = finestCohort(home);
  return [...fallbackChain(finest), { zone: finest.zone }];
}

/**
 * The cohorts GET /v1/benchmarks can name: the stored ones (the six shapes above). A filter that is
 * not one of those shapes (say, period without zone) is answered by the nearest stored broader cohort.
 */
export function storedCohortFor(filter: Cohort): Cohort {
  if (filter.zone && filter.buildingType && filter.period && filter.areaBand) return filter;
  if (filter.zone && filter.buildingType && filter.period) {
    return { zone: filter.zone, buildingType: filter.buildingType, period: filter.period };
  }
  if (filter.zone && filter.buildingType) {
    return { zone: filter.zone, buildingType: filter.buildingType };
  }
  if (filter.buildingType) return { buildingType: filter.buildingType };
  if (filter.zone) return { zone: filter.zone };
  return {};
}

export { buildingTypes, climateZones };
