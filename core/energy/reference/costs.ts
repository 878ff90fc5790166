/**
 * Investment costs of upgrade measures and the Exoikonomo 2025 subsidy rules.
 *
 * Unit costs marked "2011 cap" are the eligible-cost caps of the "Εξοικονόμηση κατ' οίκον" programme
 * (la-kenak vivliothiki_paremvaseis; lakenak.sourceforge.net library_paremvaseis): sourced numbers, used
 * as cost proxies; 2025 market prices may differ. The others are estimates and say so.
 */

export interface UnitCost {
  eur: number;
  per: "m2" | "dwelling" | "kWp" | "m2_floor" | "system";
  source: string;
  estimate: boolean;
}

const CAP_2011 =
  "Εξοικονόμηση κατ' οίκον 2011 eligible-cost cap (la-kenak vivliothiki_paremvaseis), used as unit cost";

export const unitCosts = {
  wallInsulation: {
    eur: 50,
    per: "m2",
    source: `${CAP_2011}: external wall or pilotis insulation 50 EUR/m²`,
    estimate: false,
  },
  roofInsulation: {
    eur: 40,
    per: "m2",
    source: `${CAP_2011}: roof insulation 40 EUR/m²`,
    estimate: false,
  },
  floorInsulation: {
    eur: 50,
    per: "m2",
    source: `${CAP_2011}: external wall or pilotis insulation 50 EUR/m²`,
    estimate: false,
  },
  windows: {
    eur: 265,
    per: "m2",
    source: `${CAP_2011}: mean of sliding (250) and opening (280) window caps, EUR/m²`,
    estimate: false,
  },
  condensingBoiler: {
    eur: 5000,
    per: "dwelling",
    source: `${CAP_2011}: individual boiler 5,000 EUR`,
    estimate: false,
  },
  solarWaterHeater: {
    eur: 1300,
    per: "dwelling",
    source: `${CAP_2011}: solar DHW per apartment 1,300 EUR`,
    estimate: false,
  },
  heatPumpBase: {
    eur: 4000,
    per: "system",
    source:
      "ESTIMATE: air-to-water heat pump 4,000 EUR + 70 EUR per m² heated, capped at the 2011 RES-heating cap of 15,000 EUR",
    estimate: true,
  },
  heatPumpPerM2: {
    eur: 70,
    per: "m2_floor",
    source: "ESTIMATE: see heatPumpBase",
    estimate: true,
  },
  heatPumpCap: {
    eur: 15000,
    per: "system",
    source: `${CAP_2011}: RES or CHP heating 15,000 EUR`,
    estimate: false,
  },
  pv: {
    eur: 1300,
    per: "kWp",
    source:
      "ESTIMATE: residential rooftop PV 1,300 EUR/kWp installed (2025 Greek market, unsourced)",
    estimate: true,
  },
} as const satisfies Record<string, UnitCost>;

/** ESTIMATE: default PV size per dwelling, kWp, limited by 0.1 kWp per m² of own roof. */
export const pvDefaultKwpPerDwelling = 3;
export const pvKwpPerRoofM2 = 0.1;

/** ESTIMATE: average floor area of a dwelling in an apartment block, m², for per-dwelling costs. */
export const blockDwellingAreaM2 = 80;

/** Economic defaults for NPV. ESTIMATE: a real discount rate of 4 % over 20 years, constant prices. */
export const economicsDefaults = { discountRate: 0.04, horizonYears: 20 } as const;

/**
 * Exoikonomo 2025 (naftemporiki.gr, skai.gr, newsbomb.gr, tanea.gr 25/12/2025, newsit.gr). Sourced:
 * at least a three-class jump and more than 30 % primary-energy saving; eligible budget up to 35,000
 * EUR per dwelling; subsidy rate by income category. Eligible measures: windows, insulation, heating /
 * cooling upgrades (heat pump, condensing boiler), solar thermal DHW; PV is not on the list.
 */
export const exoikonomo2025 = {
  minClassJump: 3,
  minPrimarySavingPct: 30,
  maxEligibleEurPerDwelling: 35000,
  source:
    "Exoikonomo 2025 programme guide as reported by naftemporiki.gr, skai.gr, newsbomb.gr, tanea.gr (2025-12-25), newsit.gr",
} as const;

export const exoikonomoIncomeCategories = [
  "cat1_low_income",
  "cat1_low_income_disaster_area",
  "cat2_disability_or_disaster_area",
  "cat2_large_family",
  "cat2_other",
] as const;
export type ExoikonomoIncomeCategory = (typeof exoikonomoIncomeCategories)[number];

/**
 * Subsidy rates: category 1 (individual income <= 5,000 EUR, family <= 10,000 EUR) 95 %, 100 % in the
 * Thessaly / Arkalochori disaster areas; category 2: families with a disabled member or in those areas
 * 80 %, large families 65 %, all others 50 %.
 */
export const exoikonomoRates: Readonly<Record<ExoikonomoIncomeCategory, number>> = {
  cat1_low_income: 0.95,
  cat1_low_income_disaster_area: 1.0,
  cat2_disability_or_disaster_area: 0.8,
  cat2_large_family: 0.65,
  cat2_other: 0.5,
};
