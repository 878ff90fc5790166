/**
 * The resolved building model the calculation runs on: every default filled in, every number in SI-ish
 * engineering units (m², W/(m²K), m³/h, kWh). Built from an AssessmentInput by resolve/*.ts.
 */
import type { Monthly, Station, StationId } from "./reference/climate.ts";
import type { Carrier } from "./reference/systems.ts";
import type { ClimateZone } from "./reference/zones.ts";

/** Orientation classes of the TOTEE irradiation tables. */
export type OrientationClass = "N" | "NE_NW" | "E_W" | "SE_SW" | "S";

export interface Site {
  stationId: StationId;
  station: Station;
  zone: ClimateZone;
}

export interface Geometry {
  floorAreaM2: number;
  volumeM3: number;
  /** Opaque (net) wall area per orientation class. */
  wallsM2: Record<OrientationClass, number>;
  windowsM2: Record<OrientationClass, number>;
  roofM2: number;
  floorM2: number;
  floorType: "ground" | "pilotis" | "unheated";
  dwellings: number;
  /** PV can go on a roof the home owns (houses, whole blocks, top-floor apartments). */
  ownsRoof: boolean;
}

export type ElementKind = "wall" | "roof" | "floor";

/** One opaque element of the envelope, as the heat balance sees it. */
export interface OpaqueElement {
  kind: ElementKind;
  areaM2: number;
  /** U of the construction, W/(m²K), without thermal bridges or the adjacent space. */
  uConstruction: number;
  /** U with the extra resistance of the adjacent space (soil, unheated room) when one is given. */
  u: number;
  adjacency: "outside" | "ground" | "unheated";
  /** Temperature-reduction factor (1 towards outside air). */
  b: number;
  extraResistanceM2KW: number;
  /** Solar exposure: orientation class of a wall, "horizontal" for a roof, null when the sun never reaches it. */
  sun: OrientationClass | "horizontal" | null;
  /** Index in the input's `elements`; null for an element derived from the areas. */
  inputIndex: number | null;
}

export interface Envelope {
  /** Every opaque element; the U-values below are area-weighted means of each kind. */
  elements: OpaqueElement[];
  uWall: number;
  uRoof: number;
  uFloor: number;
  uWindow: number;
  glazingG: number;
  frameFraction: number;
  /** Thermal-bridge allowance added to opaque U-values. */
  thermalBridgeDeltaU: number;
  /** Linear thermal bridges, sum of psi x length, W/K. */
  linearBridgesWK: number;
  /** Temperature-reduction factor of the lowest floor. */
  bFloor: number;
  windowInfiltrationM3hPerM2: number;
  /** Air leakage of the whole home, m³/h, when given (ACH or n50); null: window joints x window area. */
  infiltrationM3h: number | null;
  /** Shading factor of the glazing in the heating season. */
  winterShading: number;
  /** Shading factor of the glazing in the cooling season, per orientation class. */
  summerShading: Record<OrientationClass, number>;
  heatCapacityKjM2K: number;
}

export interface Usage {
  setpointHeatingC: number;
  setpointCoolingC: number;
  /** Share of the day the home is operated (TOTEE residential 18 h / 24 h). */
  operatingFraction: number;
  /** Time-averaged internal gains, W. */
  internalGainsW: number;
  freshAirM3h: number;
  persons: number;
  dhwLitresPerDay: number;
}

export interface HeatingSystem {
  label: string;
  carrier: Carrier;
  generationEfficiency: number;
  emissionEfficiency: number;
  /** Absolute distribution losses over the heating season, kWh/yr. */
  distributionLossKwh: number;
}

export interface CoolingSystem {
  label: string;
  eer: number;
  emissionEfficiency: number;
  /** Share of the cooling need that is counted (TOTEE theoretical system: 0.5 in A/B, 0 in C/D). */
  coverage: number;
}

export interface HotWaterSystem {
  label: string;
  carrier: Carrier;
  /** Generation x storage efficiency (or COP x storage). */
  efficiency: number;
}

export interface Systems {
  heating: HeatingSystem;
  cooling: CoolingSystem;
  hotWater: HotWaterSystem;
  solarCollectorM2: number;
  pv: { peakKw: number; plane: "tilt45S" | "tilt45SE_SW" | "tilt45E_W" } | null;
}

export interface BuildingModel {
  site: Site;
  geometry: Geometry;
  envelope: Envelope;
  usage: Usage;
  systems: Systems;
}

/** One default the engine filled in, with where the number comes from. */
export interface Assumption {
  field: string;
  value: string | number | boolean;
  unit?: string;
  source: string;
  estimate: boolean;
}

/** Collects assumptions; `null` skips collection (package search re-resolves many variants). */
export type AssumptionSink = ((a: Assumption) => void) | null;

export type { Monthly };
