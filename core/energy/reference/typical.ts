/**
 * What a Greek home typically has when the caller does not say: heating, cooling and hot-water systems
 * by building type, construction period, climate zone and natural-gas grid reach; storeys by building
 * type; and the documented ranges the uncertainty sampling draws the other estimated parameters from.
 *
 * The modal system of each cohort stands in for an unknown one (marked ESTIMATE in `assumptions`); the
 * shares are what the uncertainty sampling draws from. A system declared as `{"type": "none"}` is not
 * looked up here: it keeps the TOTEE 20701-1 rule (theoretical electric systems).
 *
 * Sources the shares are built from (the shares themselves are ESTIMATE: no retrievable table gives
 * system shares per type, period and zone):
 * - TABULA/EPISCOPE Greek typology (NOA), github.com/IWUGERMANY/tabuladata tabula-values.xlsx @ 2411fa43,
 *   sheets Tab.System.HG / Tab.System.WG: the typical heat generator of the Greek single- and
 *   multi-family archetypes of every period is a fuel (oil) boiler with central hydronic distribution
 *   (GR.B.Gen.10 <=1980, GR.B.Gen.11 1981-2010, GR.B.Gen.12 after 2010); gas boilers (GR.B.Gen.13-15),
 *   split units (GR.HP.Gen.11/12), heat pumps (GR.HP.Gen.10), stoves and fireplaces are the variants;
 * - ELSTAT Population and Housing Census 2011 (as reported by newpost.gr and news.hls.com.gr,
 *   2014): 66.7 % of households heat with heating oil, 49.5 % make hot water with electricity; 60 % of
 *   dwellings have their own (autonomous) central heating and 17.5 % a building-wide one (greekreporter
 *   via greeceoutsidein, 2014);
 * - ELSTAT SILC 2023 (ered.gr, financialreport.gr 2024): 46.6 % of the population heats with central
 *   heating (oil or gas radiators), 48.1 % with individual systems (wood or LPG stoves, air conditioners,
 *   storage heaters, individual oil boilers); heating oil is the main source for 47.1 %;
 * - a 2023 consumer survey (EKPIZO via newgreektv.com): central heating 56 % (oil 41.1 %, gas 14.5 %),
 *   air conditioners 13.9 %, individual gas 12.3 %, electric appliances 4.6 %;
 * - CRES via ekathimerini.com (2004): about 20 % of households had a solar water heater then; KENAK
 *   (ΦΕΚ Β 407/2010, article 8) requires new buildings to cover at least 60 % of their hot water with
 *   solar thermal, so homes built from 2011 are taken to have one.
 */
import type { HeatingSystemType } from "./systems.ts";
import type { ClimateZone } from "./zones.ts";

export const typicalSystemsSource =
  "ESTIMATE from TABULA GR system typology (tabula-values.xlsx @ 2411fa43 Tab.System.HG: oil boiler + radiators typical of every period), ELSTAT Census 2011 (66.7 % of households heat with oil), ELSTAT SILC 2023 (46.6 % central heating) and EKPIZO 2023 (oil 41 %, gas 15 %, air conditioners 14 %)";
export const coolingShareSource =
  "ESTIMATE: share of homes with split units by era and zone (air conditioners spread from the 1990s; fewer in zone D); no retrievable census table";
export const solarShareSource =
  "ESTIMATE: solar water heaters in about 20 % of households in 2004 (CRES via ekathimerini.com), more in houses than flats; KENAK 2010 art. 8 requires solar hot water (>= 60 %) in buildings from 2011";
export const gasGridSource =
  "prefectures with a natural-gas distribution network (EDA Attikis, EDA Thessalonikis-Thessalias, DEDA/EDA Loipis Ellados)";
export const storeysSource =
  "ESTIMATE: TABULA GR archetypes (single-family houses of 2 storeys; multi-family blocks of a pilotis plus 4 storeys); an apartment is one storey";

/** Prefectures whose towns a natural-gas distribution network reaches (see gasGridSource). */
export const gasGridPrefectures: ReadonlySet<string> = new Set([
  "Attica",
  "Thessaloniki",
  "Larisa",
  "Magnesia",
  "Trikala",
  "Karditsa",
  "Kozani",
  "Fthiotida",
  "Viotia",
  "Evia",
  "Corinthia",
  "Imathia",
  "Pella",
  "Xanthi",
  "Rodopi",
  "Kavala",
  "Drama",
  "Serres",
]);

export type SystemPeriod = "<=1980" | "1981-2000" | "2001-2010" | ">=2011";
export const systemPeriod = (year: number): SystemPeriod =>
  year <= 1980 ? "<=1980" : year <= 2000 ? "1981-2000" : year <= 2010 ? "2001-2010" : ">=2011";

type HeatingShares = Partial<Record<Exclude<HeatingSystemType, "none">, number>>;

/**
 * Shares of heating systems for a cohort (they sum to 1), in descending order of share. ESTIMATE built
 * from the sources above: oil boilers about half of pre-2011 homes (more in blocks, which run central
 * boilers), gas only where the grid reaches (a quarter of flats and a sixth of houses there), split units
 * as main heating mostly in the south, wood stoves mostly in zone D and in houses; homes built from
 * 2011 mostly with heat pumps.
 */
export function heatingShares(
  buildingType: "detached_house" | "apartment" | "apartment_block",
  constructionYear: number,
  zone: ClimateZone,
  gasReach: boolean,
): [Exclude<HeatingSystemType, "none">, number][] {
  const house = buildingType === "detached_house";
  const recent = constructionYear > 2010;
  const split = { A: 0.3, B: 0.15, C: 0.08, D: 0.05 }[zone];
  const wood =
    { A: 0.06, B: 0.06, C: 0.1, D: 0.2 }[zone] * (house ? 1.5 : 0.5) * (recent ? 0.5 : 1);
  const w: HeatingShares = recent
    ? {
        heat_pump_air_water: 0.35,
        oil_boiler: 0.3,
        gas_condensing_boiler: gasReach ? 0.25 : 0,
        split_units: split,
        wood_stove: wood,
        direct_electric: 0.02,
      }
    : {
        oil_boiler: house ? 0.5 : 0.62,
        gas_boiler: gasReach ? (house ? 0.15 : 0.25) : 0,
        split_units: split,
        wood_stove: wood,
        direct_electric: 0.04,
        oil_stove: 0.03,
        heat_pump_air_water: 0.02,
      };
  const entries = Object.entries(w).filter(([, v]) => (v as number) > 0) as [
    Exclude<HeatingSystemType, "none">,
    number,
  ][];
  const total = entries.reduce((s, [, v]) => s + v, 0);
  return entries.map(([k, v]) => [k, v / total] as [typeof k, number]).sort((a, b) => b[1] - a[1]);
}

/** Share of homes with split-unit air conditioning by era and zone (see coolingShareSource). */
export function splitUnitShare(constructionYear: number, zone: ClimateZone): number {
  if (zone === "D") return 0.45;
  const p = systemPeriod(constructionYear);
  return p === "<=1980" ? 0.7 : p === "1981-2000" ? 0.8 : p === "2001-2010" ? 0.85 : 0.9;
}

/** Share of homes with a solar water heater (see solarShareSource). */
export function solarWaterHeaterShare(
  buildingType: "detached_house" | "apartment" | "apartment_block",
  constructionYear: number,
): number {
  if (constructionYear > 2010) return 0.85;
  return buildingType === "detached_house" ? 0.45 : buildingType === "apartment" ? 0.25 : 0.3;
}

/** Storeys when the caller gives none (see storeysSource). */
export const defaultStoreys = { detached_house: 2, apartment: 1, apartment_block: 4 } as const;

/**
 * Documented ranges of the estimated envelope and use parameters, as triangular distributions (low,
 * mode, high) of a factor on the engine's default (or, for the window share, of the value itself).
 * ESTIMATE unless a source is named.
 */
export const estimateRanges = {
  /**
   * Opaque and window U-values: x0.7-1.3 around the TABULA GR average of the period. The zone and type
   * variants of one period spread that much (<=1980 walls 2.01-2.78, roofs 1.36-3.05 W/(m²K)), and
   * 56.8 % of pre-1981 dwellings have no insulation at all (ELSTAT Census 2011) while the rest have some.
   */
  uValueFactor: { low: 0.7, mode: 1, high: 1.3 },
  /** Window-joint infiltration: x0.5-1.5 around 11 (old frames) or 5.5 m³/h·m² (KENAK frames). */
  infiltrationFactor: { low: 0.5, mode: 1, high: 1.5 },
  /** Window area as a share of the heated floor: TABULA GR archetypes span about 12-20 %. */
  windowToFloor: { low: 0.12, mode: 0.15, high: 0.2 },
  /**
   * Occupants: x0.6-1.2 around the TOTEE 5 persons per 100 m². ELSTAT (2011 census, 2011-12 household
   * energy survey) gives 2.6 persons per household in 84.8 m² on average, about 3 per 100 m².
   */
  occupancyFactor: { low: 0.6, mode: 1, high: 1.2 },
} as const;
