/**
 * Envelope reference numbers: KENAK maximum U-values (the reference building's envelope and the target
 * of insulation measures), TABULA Greek typology U-values (defaults for existing homes by period, zone
 * and type), and the TOTEE conventions for thermal bridges, unheated spaces, heat capacity, glazing,
 * shading and air infiltration.
 */
import type { ClimateZone } from "./zones.ts";

type ByZone = readonly [number, number, number, number];

const LA_KENAK =
  "TOTEE 20701-1 as transcribed in github.com/epatso/la-kenak (install/db_kenakv5.sql @ fa718545)";
const TABULA =
  "TABULA/EPISCOPE Greek typology (NOA), github.com/IWUGERMANY/tabuladata data-raw/tabula-values.xlsx @ 2411fa43";

export interface UMaxTable {
  roofToAir: ByZone;
  wallToAir: ByZone;
  floorToAir: ByZone;
  roofToUnheated: ByZone;
  wallToUnheated: ByZone;
  floorToUnheated: ByZone;
  floorToGround: ByZone;
  windowToAir: ByZone;
}

/**
 * KENAK maximum U-values, W/(m²K), zones A..D. 2017: ΦΕΚ Β 2367/12.07.2017 Table Γ.1; 2010: ΦΕΚ Β
 * 407/2010 (la-kenak tables vivliothiki_umax_new / _old). Sourced.
 */
export const uMax: Readonly<Record<"kenak2010" | "kenak2017", UMaxTable>> = {
  kenak2017: {
    roofToAir: [0.45, 0.4, 0.35, 0.3],
    wallToAir: [0.55, 0.45, 0.4, 0.35],
    floorToAir: [0.45, 0.4, 0.35, 0.3],
    roofToUnheated: [1.1, 0.8, 0.65, 0.6],
    wallToUnheated: [1.3, 0.9, 0.7, 0.65],
    floorToUnheated: [1.1, 0.8, 0.65, 0.6],
    floorToGround: [1.1, 0.8, 0.65, 0.6],
    windowToAir: [2.8, 2.6, 2.4, 2.2],
  },
  kenak2010: {
    roofToAir: [0.5, 0.45, 0.4, 0.35],
    wallToAir: [0.6, 0.5, 0.45, 0.4],
    floorToAir: [0.5, 0.45, 0.4, 0.35],
    roofToUnheated: [1.2, 0.9, 0.75, 0.7],
    wallToUnheated: [1.5, 1.0, 0.8, 0.7],
    floorToUnheated: [1.2, 0.9, 0.75, 0.7],
    floorToGround: [1.2, 0.9, 0.75, 0.7],
    windowToAir: [3.2, 3.0, 2.8, 2.6],
  },
};
export const uMaxSource = `KENAK 2017 (ΦΕΚ Β 2367/2017 Table Γ.1) and KENAK 2010 (ΦΕΚ Β 407/2010) U-max, ${LA_KENAK}`;

/** TABULA construction periods (Tab.ConstrYearClass GR.01..GR.04). */
export const tabulaPeriods = ["<=1980", "1981-2000", "2001-2010"] as const;
export type TabulaPeriod = (typeof tabulaPeriods)[number];

export interface TypologyU {
  roof: number;
  wall: number;
  floor: number;
  window: number;
  /** Normal-incidence total solar energy transmittance of the glazing. */
  glazingG: number;
}

/**
 * Average U-values, W/(m²K), of the TABULA Greek synthetic-average buildings by period, zone and type
 * (SFH = single-family house, MFH = multi-family house). Window U includes the frame. Sourced (TABULA
 * Tab.Building.Constr / Tab.U.Class.Constr).
 */
export const tabulaU: Readonly<
  Record<TabulaPeriod, Readonly<Record<ClimateZone, Readonly<Record<"SFH" | "MFH", TypologyU>>>>>
> = {
  "<=1980": {
    A: {
      SFH: { roof: 2.9, wall: 2.78, floor: 2.99, window: 4.86, glazingG: 0.61 },
      MFH: { roof: 2.85, wall: 2.5, floor: 2.38, window: 4.86, glazingG: 0.6 },
    },
    B: {
      SFH: { roof: 2.86, wall: 2.49, floor: 2.87, window: 4.85, glazingG: 0.6 },
      MFH: { roof: 1.96, wall: 2.29, floor: 2.14, window: 4.94, glazingG: 0.6 },
    },
    C: {
      SFH: { roof: 3.05, wall: 2.43, floor: 2.88, window: 4.72, glazingG: 0.6 },
      MFH: { roof: 2.6, wall: 2.27, floor: 2.9, window: 4.55, glazingG: 0.57 },
    },
    D: {
      SFH: { roof: 2.73, wall: 2.3, floor: 2.99, window: 4.61, glazingG: 0.58 },
      MFH: { roof: 1.36, wall: 2.01, floor: 2.33, window: 4.56, glazingG: 0.57 },
    },
  },
  "1981-2000": {
    A: {
      SFH: { roof: 2.3, wall: 1.76, floor: 2.85, window: 4.57, glazingG: 0.61 },
      MFH: { roof: 1.5, wall: 1.57, floor: 2.34, window: 4.81, glazingG: 0.58 },
    },
    B: {
      SFH: { roof: 1.81, wall: 1.71, floor: 2.69, window: 4.79, glazingG: 0.57 },
      MFH: { roof: 1.69, wall: 1.47, floor: 2.18, window: 4.89, glazingG: 0.57 },
    },
    C: {
      SFH: { roof: 1.59, wall: 1.39, floor: 2.7, window: 4.15, glazingG: 0.56 },
      MFH: { roof: 1.78, wall: 1.47, floor: 2.56, window: 4.4, glazingG: 0.56 },
    },
    D: {
      SFH: { roof: 2.7, wall: 1.37, floor: 2.55, window: 4.79, glazingG: 0.58 },
      MFH: { roof: 2.1, wall: 1.63, floor: 2.24, window: 4.11, glazingG: 0.55 },
    },
  },
  "2001-2010": {
    A: {
      SFH: { roof: 1.29, wall: 0.99, floor: 2.25, window: 4.09, glazingG: 0.54 },
      MFH: { roof: 0.82, wall: 1.08, floor: 2.2, window: 4.51, glazingG: 0.55 },
    },
    B: {
      SFH: { roof: 1.54, wall: 0.99, floor: 2.29, window: 4.27, glazingG: 0.55 },
      MFH: { roof: 0.72, wall: 0.97, floor: 2.14, window: 4.36, glazingG: 0.54 },
    },
    C: {
      SFH: { roof: 1.39, wall: 0.9, floor: 2.12, window: 4.11, glazingG: 0.55 },
      MFH: { roof: 0.8, wall: 1.02, floor: 2.25, window: 4.03, glazingG: 0.55 },
    },
    D: {
      SFH: { roof: 1.57, wall: 1.02, floor: 2.2, window: 4.03, glazingG: 0.57 },
      MFH: { roof: 0.5, wall: 0.9, floor: 2.14, window: 3.66, glazingG: 0.54 },
    },
  },
};
export const tabulaUSource = `${TABULA} sheets Tab.Building.Constr, Tab.U.Class.Constr (U by period, zone, type)`;

/**
 * Homes permitted under KENAK (2011 on) are taken at the U-max of the regime in force: KENAK 2010 for
 * construction years 2011-2017, KENAK 2017 from 2018 (its TOTEE came into force with ΦΕΚ Β 4003/2017).
 * TABULA's ">=2011" type averages (SFH wall 0.51, roof 0.45, floor 0.94, window 2.99, g 0.55; MFH wall
 * 0.50, roof 0.44, floor 0.90, window 2.98) agree with the zone-B U-max; the glazing g of 0.55 is theirs.
 */
export const kenakEraGlazingG = 0.55;
export const kenak2017FromYear = 2018;

/** TOTEE 20701-1 Table 3.6 simplified thermal bridges: U + 0.1 W/(m²K) on opaque elements. Sourced. */
export const thermalBridgeDeltaU = 0.1;
export const thermalBridgeSource = `TOTEE 20701-1 Table 3.6 (simplified thermal bridges, U + 0.1), lakenak.sourceforge.net library_apaitiseis`;

/** Temperature-reduction factor b for elements towards unheated spaces (TOTEE convention). Sourced. */
export const bUnheated = 0.5;
/**
 * b for floors on the ground. ESTIMATE: TOTEE uses an equivalent U from the floor's depth and
 * characteristic dimension (ISO 13370); we apply the same 0.5 reduction as for unheated spaces, which
 * is the TABULA convention for floors to soil. Checked: the TABULA GR floor U-values above are those of
 * the construction alone (2.1-3.0 W/m²K, no soil), and TABULA's energy balance applies the adjustment
 * factor b_tr 0.5 to floors towards soil or unheated cellars; applying it here counts the soil once.
 * An engineer with an ISO 13370 equivalent U gives it as an element with b 1 or an extra resistance.
 */
export const bGround = 0.5;

/**
 * Effective heat capacity per m² of floor, kJ/(m²K). TOTEE 20701-1 Table 3.14 (la-kenak
 * vivliothiki_thermocm): "RC frame with hollow-brick infill (typical Greek)" 280 is the default for
 * existing homes; the KENAK reference building uses 250 (la-kenak pages/menu_library_ka.php). Sourced.
 */
export const heatCapacityKjM2K = {
  light: 110,
  medium: 165,
  masonryTimberFloors: 230,
  typicalGreekRcFrame: 280,
  heavy: 300,
  referenceBuilding: 250,
} as const;

/** Glazing and shading conventions. */
export const glazing = {
  /** ISO 13790: g_gl = F_w x g_gl,n with F_w = 0.9 for non-scattering glazing. Sourced. */
  fW: 0.9,
  /** TABULA GR frame fraction 0.25 (Tab.BoundaryCond GR.SUH/GR.MUH). Sourced. */
  frameFractionExisting: 0.25,
  /** KENAK reference building: frame 20 %, g 0.55 (la-kenak menu_library_ka.php). Sourced. */
  frameFractionReference: 0.2,
  gReference: 0.55,
  /** Winter shading (surroundings, balconies) for vertical glazing: TABULA GR F_sh,vert 0.8. Sourced. */
  winterShading: 0.8,
} as const;

/**
 * Summer shading factor of the KENAK reference building's glazing by orientation class (overhangs and
 * fins), la-kenak menu_library_ka.php. Sourced; also the default for the assessed home (Greek
 * residential façades typically carry balconies of that depth).
 */
export const summerShading = { N: 1.0, NE_NW: 0.8, E_W: 0.75, SE_SW: 0.73, S: 0.7 } as const;

/** Solar absorptance of opaque surfaces, KENAK reference building: walls and flat roofs 0.4. Sourced. */
export const opaqueAbsorptance = 0.4;
/** Long-wave emissivity of opaque surfaces, KENAK reference building 0.8. Sourced. */
export const opaqueEmissivity = 0.8;

/**
 * Air infiltration through window joints, m³/h per m² of window. The KENAK reference building uses 5.5
 * (la-kenak menu_library_ka.php; sourced), which we also apply to windows installed from 2011 and to
 * replacement windows. ESTIMATE: older, non-certified frames at 11, twice the reference rate (TOTEE
 * 20701-1 tabulates higher rates for frames without airtightness certification; the table itself is not
 * in the shipped sources).
 */
export const windowInfiltrationM3hM2 = { airtight: 5.5, old: 11 } as const;

/**
 * Air leakage in normal use from a blower-door n50 (air changes per hour at 50 Pa): n = 2 x n50 x e x
 * epsilon, EN 12831:2003 Annex D eq. ("V_inf = 2 V n50 e epsilon") with the shielding coefficient e
 * of Table D.8 for a home with openings on more than one façade (no shielding 0.03, moderate 0.02,
 * heavy 0.01) and the height correction epsilon = 1 (up to 10 m above ground). The factor 2 is the
 * standard's allowance for wind on the windward side. Moderate shielding (suburbs, a town with
 * neighbouring buildings) is the default. The result is the familiar n50 / 25 rule of thumb at
 * moderate shielding.
 */
export const n50Shielding = { none: 0.03, moderate: 0.02, heavy: 0.01 } as const;
export const n50ShieldingSource =
  "EN 12831:2003 Annex D: n = 2 x n50 x e x epsilon, e by shielding (Table D.8, more than one exposed façade: none 0.03, moderate 0.02, heavy 0.01), epsilon 1";
export function infiltrationFromN50(n50: number, shielding: keyof typeof n50Shielding): number {
  return 2 * n50 * n50Shielding[shielding];
}
