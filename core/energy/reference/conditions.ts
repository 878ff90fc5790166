/**
 * TOTEE 20701-1 standard operating conditions of a residential zone (Tables 2.1-2.8, residential row),
 * as transcribed in github.com/epatso/la-kenak (install/db_kenakv5.sql @ fa718545, table
 * vivliothiki_conditions). Sourced unless marked otherwise.
 */
export const residentialConditions = {
  hoursPerDay: 18,
  setpointHeatingC: 20,
  setpointCoolingC: 26,
  occupantsPer100M2: 5,
  /** Fresh air, m³/h per m² of floor (15 m³/h per person at 5 persons / 100 m²). */
  freshAirM3hPerM2: 0.75,
  occupantGainWPerPerson: 80,
  occupantPresenceFactor: 0.75,
  applianceGainWPerM2: 4,
  applianceFactor: 0.5,
  dhwLitresPerPersonDay: 50,
  dhwTemperatureC: 45,
} as const;

export const conditionsSource =
  "TOTEE 20701-1 Tables 2.1-2.8 (residential), la-kenak db_kenakv5.sql vivliothiki_conditions";

/** Volumetric heat capacity of air, Wh/(m³K) (ISO 13790 ρa·ca = 1200 J/(m³K)). */
export const airHeatCapacityWhM3K = 0.34;
/** Specific heat of water, Wh/(l·K). */
export const waterHeatCapacityWhLK = 1.163;
/** Gross floor-to-floor height used for façade areas, m. ESTIMATE: typical Greek RC frame storey. */
export const storeyHeightM = 3.0;
/** Clear room height used for the heated volume, m: TABULA GR boundary conditions h_room 2.8. Sourced. */
export const roomHeightM = 2.8;

/**
 * ISO 13790 monthly method constants (cl. 12, 13; standard text summarised in the shared reference
 * data): a = a0 + tau/tau0 with a0 = 1, tau0 = 15 h for heating and cooling; intermittency correction
 * factor b_red = 3 (ISO 13790 cl. 13.2.2 default).
 */
export const iso13790 = { a0: 1, tau0H: 15, bRed: 3 } as const;

/**
 * ISO 13790 cl. 11.3.5 long-wave radiation to the sky from opaque elements: external surface resistance
 * R_se 0.04 m²K/W, h_r = 5·ε W/(m²K), mean sky temperature depression 11 K, form factor 1 for roofs and
 * 0.5 for walls.
 */
export const skyRadiation = { rSe: 0.04, hrPerEmissivity: 5, deltaThetaSkyK: 11 } as const;
