/**
 * Technical-system efficiencies: heat generators (TABULA Greek expenditure factors, e = delivered /
 * generated heat, efficiency = 1/e), heating distribution losses, emission efficiencies, the TOTEE
 * "theoretical" systems that stand in when a home has none, and the reference building's systems.
 */
import type { ClimateZone } from "./zones.ts";

const TABULA_HG =
  "TABULA GR (NOA), github.com/IWUGERMANY/tabuladata tabula-values.xlsx @ 2411fa43 sheet Tab.System.HG";
const THEORETICAL =
  "TOTEE 20701-1 theoretical systems (la-kenak pages/menu_library_ka.php; docs.easykenak.gr step5 thermansi)";

export const energyCarriers = ["electricity", "natural_gas", "heating_oil", "biomass"] as const;
export type Carrier = (typeof energyCarriers)[number];

export const heatingSystemTypes = [
  "oil_boiler",
  "gas_boiler",
  "gas_condensing_boiler",
  "heat_pump_air_water",
  "heat_pump_ground",
  "split_units",
  "direct_electric",
  "oil_stove",
  "wood_stove",
  "energy_fireplace",
  "closed_fireplace",
  "open_fireplace",
  "none",
] as const;
export type HeatingSystemType = (typeof heatingSystemTypes)[number];

export interface GeneratorSpec {
  carrier: Carrier;
  /** Hydronic systems carry distribution losses and radiator/underfloor emission. */
  hydronic: boolean;
  /** Seasonal efficiency or COP of heat generation for an installation year and zone. */
  efficiency: (installYear: number, zone: ClimateZone) => number;
  source: string;
}

const byZone = (values: readonly [number, number, number, number], zone: ClimateZone) =>
  values["ABCD".indexOf(zone)] as number;

/** Efficiencies are 1 / e_g,h of the TABULA GR generator types named in each comment. */
export const generators: Readonly<Record<Exclude<HeatingSystemType, "none">, GeneratorSpec>> = {
  // GR.B.Gen.10 (<=1980) e 1.35, GR.B.Gen.11 (1981-2010) e 1.21, GR.B.Gen.12 (2011+) e 1.11
  oil_boiler: {
    carrier: "heating_oil",
    hydronic: true,
    efficiency: (y) => (y <= 1980 ? 1 / 1.35 : y <= 2010 ? 1 / 1.21 : 1 / 1.11),
    source: `${TABULA_HG} GR.B.Gen.10/11/12 (fuel boilers by period)`,
  },
  // GR.B.Gen.13 (<=1980) e 1.19, GR.B.Gen.14 (1981-2010) e 1.18, GR.B.Gen.15 (2011+) e 1.07
  gas_boiler: {
    carrier: "natural_gas",
    hydronic: true,
    efficiency: (y) => (y <= 1980 ? 1 / 1.19 : y <= 2010 ? 1 / 1.18 : 1 / 1.07),
    source: `${TABULA_HG} GR.B.Gen.13/14/15 (gas boilers by period)`,
  },
  // gas condensing 2006+ e 1.044
  gas_condensing_boiler: {
    carrier: "natural_gas",
    hydronic: true,
    efficiency: () => 1 / 1.044,
    source: `${TABULA_HG} gas condensing boiler 2006+ (e 1.044)`,
  },
  // air HP pre-1990 e 0.588; GR.HP.Gen.10 (after 2010) e 0.31; high-temperature air HP 2013+ by zone
  heat_pump_air_water: {
    carrier: "electricity",
    hydronic: true,
    efficiency: (y, zone) =>
      y < 1990 ? 1 / 0.588 : y < 2013 ? 1 / 0.31 : 1 / byZone([0.263, 0.278, 0.286, 0.294], zone),
    source: `${TABULA_HG} air heat pumps (pre-1990 e 0.588; GR.HP.Gen.10 e 0.31; 2013+ e 0.263/0.278/0.286/0.294 in zones A-D)`,
  },
  heat_pump_ground: {
    carrier: "electricity",
    hydronic: true,
    efficiency: (_y, zone) => 1 / byZone([0.16, 0.17, 0.19, 0.21], zone),
    source: `${TABULA_HG} ground-source heat pump (e 0.16/0.17/0.19/0.21 in zones A-D)`,
  },
  // GR.HP.Gen.11 (<=1980) e 0.59, GR.HP.Gen.12 (1981-2010) e 0.50, inverter 2010+ e 0.3125
  split_units: {
    carrier: "electricity",
    hydronic: false,
    efficiency: (y) => (y <= 1980 ? 1 / 0.59 : y <= 2010 ? 1 / 0.5 : 1 / 0.3125),
    source: `${TABULA_HG} GR.HP.Gen.11/12 split units and air HP inverter 2010+ (e 0.59/0.50/0.3125)`,
  },
  direct_electric: {
    carrier: "electricity",
    hydronic: false,
    efficiency: () => 1 / 1.02,
    source: `${TABULA_HG} GR.E.Gen.10 direct electric (e 1.02)`,
  },
  oil_stove: {
    carrier: "heating_oil",
    hydronic: false,
    efficiency: () => 1 / 1.149,
    source: `${TABULA_HG} GR.Stove_L.Gen.10 oil stove (e 1.149)`,
  },
  wood_stove: {
    carrier: "biomass",
    hydronic: false,
    efficiency: () => 1 / 1.429,
    source: `${TABULA_HG} wood stove (e 1.429)`,
  },
  energy_fireplace: {
    carrier: "biomass",
    hydronic: false,
    efficiency: () => 1 / 2.0,
    source: `${TABULA_HG} energy fireplace (e 2.0)`,
  },
  closed_fireplace: {
    carrier: "biomass",
    hydronic: false,
    efficiency: () => 1 / 2.857,
    source: `${TABULA_HG} GR.Other.Gen.10 closed fireplace (e 2.857)`,
  },
  open_fireplace: {
    carrier: "biomass",
    hydronic: false,
    efficiency: () => 1 / 5.0,
    source: `${TABULA_HG} GR.OpenFire.Gen.10 open fireplace (e 5.0)`,
  },
};

/**
 * Heating distribution losses of central hydronic systems, kWh per m² of heated floor per year
 * (TABULA GR q_d,h: two-pipe, by insulation and location). Sourced.
 */
export const distributionLossKwhM2 = {
  insideUninsulated: 11.5,
  insideInsulated: 3.1,
  unheatedUninsulated: 22.6,
  unheatedInsulated: 15.3,
} as const;
export const distributionSource = `${TABULA_HG} distribution q_d,h (central two-pipe)`;
/** Pipes are taken as insulated from this installation year (TABULA's "1996+" insulated row). */
export const distributionInsulatedFromYear = 1996;

export const emitterTypes = ["radiators", "underfloor", "fan_coils", "air_units", "local"] as const;
export type EmitterType = (typeof emitterTypes)[number];

/**
 * Emission (terminal unit) efficiency for heating. "local" (room electric heaters, stoves) 0.94 is the
 * TOTEE theoretical heating terminal; "air_units" 0.93 is TOTEE's cooling terminal value, used for split
 * units in both modes. ESTIMATE: radiators, underfloor and fan coils 0.89 (TOTEE 20701-1 tabulates
 * 0.86-0.93 by emitter and control; the table is not in the shipped sources).
 */
export const emissionEfficiency: Readonly<Record<EmitterType, number>> = {
  radiators: 0.89,
  underfloor: 0.89,
  fan_coils: 0.89,
  air_units: 0.93,
  local: 0.94,
};

export const coolingSystemTypes = ["split_units", "heat_pump_air_water", "none"] as const;
export type CoolingSystemType = (typeof coolingSystemTypes)[number];

/**
 * Seasonal cooling efficiency (EER). ESTIMATE: the heating COP of the same TABULA split-unit generation
 * (1.69 <=1980, 2.0 1981-2010, 3.2 from 2011), since the shipped sources carry no Greek seasonal EER.
 */
export function coolingEer(installYear: number): number {
  return installYear <= 1980 ? 1 / 0.59 : installYear <= 2010 ? 1 / 0.5 : 1 / 0.3125;
}
export const coolingEerSource = `ESTIMATE: seasonal EER taken equal to the heating COP of ${TABULA_HG} split units by period`;

/** TOTEE theoretical systems used when a home has none. Sourced. */
export const theoreticalSystems = {
  heating: { carrier: "electricity" as Carrier, generation: 1.0, emission: 0.94 },
  cooling: {
    eer: 1.7,
    emission: 0.93,
    coverage: { A: 0.5, B: 0.5, C: 0, D: 0 } as Readonly<Record<ClimateZone, number>>,
  },
  dhw: { carrier: "electricity" as Carrier, generation: 1.0, storage: 0.98 },
  source: THEORETICAL,
} as const;

/** Cooling terminal efficiency 0.93 and distribution 1.00 for residential (TOTEE; la-kenak). Sourced. */
export const coolingEmission = 0.93;

export const dhwHeaterTypes = ["electric", "heating_system", "heat_pump", "none"] as const;
export type DhwHeaterType = (typeof dhwHeaterTypes)[number];
/** Storage efficiency of a DHW tank, TOTEE theoretical DHW system 0.98. Sourced. */
export const dhwStorageEfficiency = 0.98;
/**
 * Heat-pump water heater seasonal COP. ESTIMATE: 2.6, between TABULA's old (1.7) and current (3.2)
 * air heat pumps, because DHW at 45-55 °C is produced at a higher temperature lift than space heating.
 */
export const dhwHeatPumpCop = 2.6;

/**
 * Solar thermal DHW (flat-plate thermosiphon, south, 45°). ESTIMATE: system efficiency 0.35 of the
 * irradiation on the collector plane (typical Greek thermosiphon yields 500-650 kWh/m² per year in
 * zone B), monthly cover capped at 90 % of the month's need (tank and night losses).
 */
export const solarThermal = { systemEfficiency: 0.35, maxMonthlyFraction: 0.9 } as const;
/** ESTIMATE: default collector area when none is given, m² per m² of heated floor (2.5 m² per 100 m²). */
export const solarCollectorM2PerFloorM2 = 0.025;

/** PV performance ratio (IEC 61724 definition). ESTIMATE: 0.80 for a current residential array. */
export const pvPerformanceRatio = 0.8;

/**
 * The KENAK reference building's systems. ESTIMATE: TOTEE 20701-1 §2 specifies them but the text was
 * not retrievable for the shared reference data. We use one fixed set for every home: a post-2010 oil
 * boiler (TABULA GR.B.Gen.12), insulated distribution inside the heated space, radiators; a split-unit
 * cooling system (TABULA inverter 2010+ as EER) covering the same share of the cooling need as the home's
 * own system; DHW from an electric water heater (TOTEE theoretical system). Because the set does not
 * depend on the home's systems, the reference figure is the same for a home and all its upgrade
 * packages, so a package's class follows from its primary energy alone.
 */
export const referenceSystems = {
  heating: { type: "oil_boiler" as const, installYear: 2011, emitter: "radiators" as const },
  distributionLossKwhM2: distributionLossKwhM2.insideInsulated,
  coolingEer: 1 / 0.3125,
  dhw: { type: "electric" as const },
} as const;
