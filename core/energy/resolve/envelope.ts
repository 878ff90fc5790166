/**
 * Envelope: U-values, glazing, airtightness and heat capacity. Caller values win; otherwise TABULA
 * Greek typology averages by construction period, zone and type for homes built before 2011, and the
 * KENAK U-max of the regime in force for homes built under KENAK (2011 on).
 */
import type {
  AssumptionSink,
  ElementKind,
  Envelope,
  Geometry,
  OpaqueElement,
  OrientationClass,
} from "../model.ts";
import {
  bGround,
  bUnheated,
  glazing,
  heatCapacityKjM2K,
  infiltrationFromN50,
  kenak2017FromYear,
  kenakEraGlazingG,
  n50ShieldingSource,
  summerShading,
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
import type { Adjacency, AssessmentInput } from "../schema/input.ts";
import { equalSplit, orientationClass, orientationClasses } from "./geometry.ts";

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

export const floorAdjacency = (floorType: Geometry["floorType"]): Adjacency =>
  floorType === "pilotis" ? "outside" : floorType;

/**
 * KENAK U-max of an element by type and adjacency (the reference building's envelope and the target of
 * insulation measures). Walls against the soil take the "to unheated space" limit (the shipped table
 * has no separate row for them).
 */
export function elementUMax(
  regime: "kenak2010" | "kenak2017",
  zone: ClimateZone,
  kind: ElementKind,
  adjacency: Adjacency,
): number {
  const t = uMax[regime];
  const z = zoneIndex[zone];
  if (kind === "floor") {
    return floorUMax(regime, zone, adjacency === "outside" ? "pilotis" : adjacency);
  }
  if (kind === "roof") return (adjacency === "outside" ? t.roofToAir : t.roofToUnheated)[z];
  return (adjacency === "outside" ? t.wallToAir : t.wallToUnheated)[z];
}

/** U with an extra resistance in series (ISO 6946: resistances add), W/(m²K). */
export const withResistance = (u: number, r: number): number => (r > 0 ? 1 / (1 / u + r) : u);

/** An opaque element with another construction U, its U recomputed with its extra resistance. */
export const withConstructionU = (el: OpaqueElement, uConstruction: number): OpaqueElement => ({
  ...el,
  uConstruction,
  u: withResistance(uConstruction, el.extraResistanceM2KW),
});

/**
 * The opaque elements: the caller's `elements` for the types given there, and one element per
 * orientation class for walls, one roof and one floor derived from the geometry for the others.
 */
function opaqueElements(
  input: AssessmentInput,
  geometry: Geometry,
  u: Record<ElementKind, number>,
): OpaqueElement[] {
  const given = input.elements ?? [];
  const out: OpaqueElement[] = [];
  const derived = (kind: ElementKind) => !given.some((e) => e.type === kind);
  if (derived("wall")) {
    for (const c of orientationClasses) {
      const a = geometry.wallsM2[c];
      if (a > 0) out.push(element("wall", a, u.wall, "outside", 1, 0, c, null));
    }
  }
  if (derived("roof") && geometry.roofM2 > 0) {
    out.push(element("roof", geometry.roofM2, u.roof, "outside", 1, 0, "horizontal", null));
  }
  if (derived("floor") && geometry.floorM2 > 0) {
    const adjacency = floorAdjacency(geometry.floorType);
    out.push(
      element(
        "floor",
        geometry.floorM2,
        u.floor,
        adjacency,
        floorB(geometry.floorType),
        0,
        null,
        null,
      ),
    );
  }
  given.forEach((e, i) => {
    const adjacency: Adjacency =
      e.adjacency ?? (e.type === "floor" ? floorAdjacency(geometry.floorType) : "outside");
    const r = e.extraResistanceM2KW ?? 0;
    const b =
      adjacency === "outside"
        ? 1
        : r > 0
          ? 1
          : (e.b ?? (adjacency === "ground" ? bGround : bUnheated));
    const uc = e.uValue ?? u[e.type];
    if (e.type === "wall" && !e.orientation && adjacency === "outside") {
      // Unknown orientation: the sun sees it as a quarter N, half E/W, a quarter S.
      const split = equalSplit(e.areaM2);
      for (const c of orientationClasses) {
        if (split[c] > 0) out.push(element("wall", split[c], uc, adjacency, b, r, c, i));
      }
      return;
    }
    const sun: OpaqueElement["sun"] =
      adjacency !== "outside" || e.type === "floor"
        ? null
        : e.type === "roof"
          ? "horizontal"
          : orientationClass(e.orientation ?? "N");
    out.push(element(e.type, e.areaM2, uc, adjacency, b, r, sun, i));
  });
  return out;
}

function element(
  kind: ElementKind,
  areaM2: number,
  uConstruction: number,
  adjacency: Adjacency,
  b: number,
  extraResistanceM2KW: number,
  sun: OrientationClass | "horizontal" | null,
  inputIndex: number | null,
): OpaqueElement {
  return {
    kind,
    areaM2,
    uConstruction,
    u: withResistance(uConstruction, extraResistanceM2KW),
    adjacency,
    b,
    extraResistanceM2KW,
    sun,
    inputIndex,
  };
}

/** Area-weighted mean construction U of the elements of a kind (the default when there are none). */
function meanU(elements: readonly OpaqueElement[], kind: ElementKind, fallback: number): number {
  let a = 0;
  let ua = 0;
  for (const e of elements) {
    if (e.kind !== kind) continue;
    a += e.areaM2;
    ua += e.areaM2 * e.uConstruction;
  }
  return a > 0 ? ua / a : fallback;
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

  const elements = opaqueElements(input, geometry, { wall: uWall, roof: uRoof, floor: uFloor });
  if (input.elements) {
    note?.({
      field: "elements",
      value: input.elements.length,
      source:
        "caller's opaque elements; a missing U takes the home's wall / roof / floor U above, a missing b 0.5 towards the ground or an unheated space (TOTEE / TABULA convention)",
      estimate: false,
    });
  }

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
  const tb = input.thermalBridges;
  let linearBridgesWK = 0;
  for (const l of tb?.linear ?? []) linearBridgesWK += l.psi * l.lengthM;
  const deltaU = tb?.deltaU ?? (tb?.linear ? 0 : thermalBridgeDeltaU);
  if (tb?.deltaU === undefined) {
    note?.({
      field: "thermalBridges.deltaU",
      value: deltaU,
      unit: "W/(m²K)",
      source: tb?.linear
        ? "linear thermal bridges given (sum psi x length): no area allowance on top"
        : thermalBridgeSource,
      estimate: false,
    });
  }

  const air = input.airtightness;
  let infiltrationM3h: number | null = null;
  if (air?.infiltrationAch !== undefined) {
    infiltrationM3h = air.infiltrationAch * geometry.volumeM3;
  } else if (air?.n50 !== undefined) {
    const shielding = air.shielding ?? "moderate";
    const ach = infiltrationFromN50(air.n50, shielding);
    infiltrationM3h = ach * geometry.volumeM3;
    note?.({
      field: "airtightness.infiltrationAch",
      value: round4(ach),
      unit: "1/h",
      source: `${n50ShieldingSource}; shielding ${shielding}${air.shielding === undefined ? " (default)" : ""}`,
      estimate: air.shielding === undefined,
    });
  }

  const winterShading = input.windows?.winterShading ?? glazing.winterShading;
  if (input.windows?.winterShading === undefined) {
    note?.({
      field: "windows.winterShading",
      value: winterShading,
      source: "TABULA GR F_sh,vert 0.8 (surroundings, balconies)",
      estimate: false,
    });
  }
  const summer = input.windows?.summerShading;
  const summerByClass: Record<OrientationClass, number> =
    summer === undefined
      ? { ...summerShading }
      : { N: summer, NE_NW: summer, E_W: summer, SE_SW: summer, S: summer };
  if (summer === undefined) {
    note?.({
      field: "windows.summerShading",
      value: "N 1.0, NE/NW 0.8, E/W 0.75, SE/SW 0.73, S 0.7",
      source: "KENAK reference building overhangs and fins (la-kenak menu_library_ka.php)",
      estimate: false,
    });
  }

  return {
    elements,
    uWall: meanU(elements, "wall", uWall),
    uRoof: meanU(elements, "roof", uRoof),
    uFloor: meanU(elements, "floor", uFloor),
    uWindow,
    glazingG,
    frameFraction,
    thermalBridgeDeltaU: deltaU,
    linearBridgesWK,
    bFloor: floorB(geometry.floorType),
    windowInfiltrationM3hPerM2: airtight
      ? windowInfiltrationM3hM2.airtight
      : windowInfiltrationM3hM2.old,
    infiltrationM3h,
    winterShading,
    summerShading: summerByClass,
    heatCapacityKjM2K: heatCapacity,
  };
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;
