/**
 * Envelope: U-values, glazing, airtightness and heat capacity. Caller values win; otherwise TABULA
 * Greek typology averages by construction period, zone and type for homes built before 2011, and the
 * KENAK U-max of the regime in force for homes built under KENAK (2011 on).
 */
import type { AssumptionSink, Envelope, Geometry } from "../model.ts";
import {
  bGround,
  bUnheated,
  glazing,
  heatCapacityKjM2K,
  kenak2017FromYear,
  kenakEraGlazingG,
  type TabulaPeriod,
  tabulaU,
  tabulaUSource,
  thermalBridgeDeltaU,
  thermalBridgeSource,
  uMax,
  uMaxSource,
  windowInfiltrationM3hM2,
} from "../reference/envelope.ts";
import { type ClimateZone, zoneIndex } from "../reference/zones.ts";
import type { AssessmentInput } from "../schema/input.ts";

export function tabulaPeriod(year: number): TabulaPeriod | null {
  if (year <= 1980) return "<=1980";
  if (year <= 2000) return "1981-2000";
  if (year <= 2010) return "2001-2010";
  return null;
}

/** The KENAK U-max regime a home built (or a window installed) in `year` had to meet. */
export function kenakRegime(year: number): "kenak2010" | "kenak2017" {
  return year >= kenak2017FromYear ? "kenak2017" : "kenak2010";
}

export function floorUMax(
  regime: "kenak2010" | "kenak2017",
  zone: ClimateZone,
  floorType: Geometry["floorType"],
): number {
  const t = uMax[regime];
  const z = zoneIndex[zone];
  return (
    floorType === "ground"
      ? t.floorToGround
      : floorType === "pilotis"
        ? t.floorToAir
        : t.floorToUnheated
  )[z];
}

export function floorB(floorType: Geometry["floorType"]): number {
  return floorType === "pilotis" ? 1 : floorType === "ground" ? bGround : bUnheated;
}

export function resolveEnvelope(
  input: AssessmentInput,
  zone: ClimateZone,
  geometry: Geometry,
  note: AssumptionSink,
): Envelope {
  const z = zoneIndex[zone];
  const period = tabulaPeriod(input.constructionYear);
  const typology = input.buildingType === "detached_house" ? "SFH" : "MFH";
  const tabula = period ? tabulaU[period][zone][typology] : null;
  const regime = kenakRegime(input.constructionYear);
  const defaultSource = tabula
    ? `${tabulaUSource}: ${typology} ${period} zone ${zone}`
    : `${uMaxSource}: ${regime === "kenak2017" ? "KENAK 2017" : "KENAK 2010"} U-max, zone ${zone} (home built under KENAK)`;

  const pick = (field: string, given: number | undefined, fallback: number): number => {
    if (given !== undefined) return given;
    note?.({ field, value: fallback, unit: "W/(m²K)", source: defaultSource, estimate: false });
    return fallback;
  };
  const uWall = pick(
    "uValues.wall",
    input.uValues?.wall,
    tabula?.wall ?? uMax[regime].wallToAir[z],
  );
  const uRoof = pick(
    "uValues.roof",
    input.uValues?.roof,
    tabula?.roof ?? uMax[regime].roofToAir[z],
  );
  const uFloor = pick(
    "uValues.floor",
    input.uValues?.floor,
    tabula?.floor ?? floorUMax(regime, zone, geometry.floorType),
  );

  const windowYear = input.windows?.installedYear ?? input.constructionYear;
  const windowPeriod = tabulaPeriod(windowYear);
  const windowTabula = windowPeriod ? tabulaU[windowPeriod][zone][typology] : null;
  let uWindow = input.windows?.uValue;
  if (uWindow === undefined) {
    uWindow = windowTabula?.window ?? uMax[kenakRegime(windowYear)].windowToAir[z];
    note?.({
      field: "windows.uValue",
      value: uWindow,
      unit: "W/(m²K)",
      source: windowTabula
        ? `${tabulaUSource}: ${typology} windows ${windowPeriod} zone ${zone}`
        : `${uMaxSource}: window U-max zone ${zone} (installed ${windowYear})`,
      estimate: false,
    });
  }
  let glazingG = input.windows?.glazingG;
  if (glazingG === undefined) {
    glazingG = windowTabula?.glazingG ?? kenakEraGlazingG;
    note?.({
      field: "windows.glazingG",
      value: glazingG,
      source: windowTabula
        ? `${tabulaUSource}: g_gl,n ${windowPeriod}`
        : "TABULA GR >=2011 glazing g_gl,n 0.55 (= KENAK reference glazing)",
      estimate: false,
    });
  }
  const airtight = input.windows?.airtight ?? windowYear >= 2011;
  if (input.windows?.airtight === undefined) {
    note?.({
      field: "windows.airtight",
      value: airtight,
      source: airtight
        ? "windows installed under KENAK (2011 on): 5.5 m³/h per m² (KENAK reference rate)"
        : "windows older than KENAK: 11 m³/h per m² (ESTIMATE: twice the KENAK reference rate)",
      estimate: !airtight,
    });
  }

  const mass = input.thermalMass ?? "heavy";
  const heatCapacity =
    typeof mass === "number"
      ? mass
      : mass === "light"
        ? heatCapacityKjM2K.light
        : mass === "medium"
          ? heatCapacityKjM2K.medium
          : heatCapacityKjM2K.typicalGreekRcFrame;
  if (input.thermalMass === undefined) {
    note?.({
      field: "thermalMass",
      value: heatCapacity,
      unit: "kJ/(m²K)",
      source:
        "TOTEE 20701-1 Table 3.14: RC frame with hollow-brick infill (typical Greek construction)",
      estimate: false,
    });
  }
  const frameFraction = input.windows?.frameFraction ?? glazing.frameFractionExisting;
  if (input.windows?.frameFraction === undefined) {
    note?.({
      field: "windows.frameFraction",
      value: frameFraction,
      source: "TABULA GR boundary conditions: frame fraction 0.25",
      estimate: false,
    });
  }
  note?.({
    field: "envelope.thermalBridges",
    value: thermalBridgeDeltaU,
    unit: "W/(m²K)",
    source: thermalBridgeSource,
    estimate: false,
  });

  return {
    uWall,
    uRoof,
    uFloor,
    uWindow,
    glazingG,
    frameFraction,
    thermalBridgeDeltaU,
    bFloor: floorB(geometry.floorType),
    windowInfiltrationM3hPerM2: airtight
      ? windowInfiltrationM3hM2.airtight
      : windowInfiltrationM3hM2.old,
    heatCapacityKjM2K: heatCapacity,
  };
}
