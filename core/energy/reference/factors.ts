/**
 * Primary-energy and CO2 factors per energy carrier: the official KENAK factors (used for EP, the class
 * and the reported KENAK CO2) and a separate estimate of the real Greek grid's CO2 intensity.
 */
import type { Carrier } from "./systems.ts";

/**
 * TOTEE 20701-1 primary-energy factors and emission factors (kg CO2 per kWh delivered), la-kenak
 * db_kenakv5.sql @ fa718545 table vivliothiki_fuel_types. Sourced; electricity's 2.9 still in force in
 * February 2026 (ered.gr report of the POMIDA letter asking for 1.0).
 */
export const kenakFactors: Readonly<Record<Carrier, { primary: number; co2KgPerKwh: number }>> = {
  electricity: { primary: 2.9, co2KgPerKwh: 0.989 },
  natural_gas: { primary: 1.05, co2KgPerKwh: 0.196 },
  heating_oil: { primary: 1.1, co2KgPerKwh: 0.264 },
  biomass: { primary: 1.0, co2KgPerKwh: 0 },
};
export const kenakFactorsSource =
  "TOTEE 20701-1 primary-energy and CO2 factors, la-kenak db_kenakv5.sql vivliothiki_fuel_types";

/**
 * Real grid intensity of Greek electricity. ESTIMATE: 0.30 kg/kWh = 14.7 Mt CO2 of the power sector in
 * 2023 (thegreentank.gr EmissionsWatch, Dec 2023) over about 50 TWh of supply (denominator not
 * sourced). Fuels keep their KENAK factors: they are combustion factors, not grid mixes.
 */
export const realGridCo2KgPerKwh = 0.3;
export const realGridCo2Source =
  "ESTIMATE: 14.7 Mt power-sector CO2 2023 (thegreentank.gr) / ~50 TWh supply (unsourced)";
