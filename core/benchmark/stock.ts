/**
 * A synthetic Greek housing stock for benchmarks: homes drawn from the TABULA typology (period, type,
 * zone) with systems and sizes of their era, to be run through the real engine. SYNTHETIC: no real
 * home is described; the mixture below is an ESTIMATE tuned so the stock reproduces the published Greek
 * EPC figures (`npm run seed` prints what it produced next to the targets):
 *
 * - class shares of residential EPCs: E-H 65 %, C-D 32 %, A-B 3 % (EnergyHub for All, corroborated by
 *   bbk.gr 2011-2019: E-H 66.7 %);
 * - mean primary energy 415.19 kWh/m²·yr for detached houses and 264.63 for apartments (YPEN EPC
 *   statistics 2011-2019 via bbk.gr).
 *
 * Shares used (all ESTIMATE unless a source is named):
 * - zone: by population, A 14 %, B 52 %, C 27 %, D 7 % (ELSTAT 2021 census regional populations mapped to
 *   KENAK zones; Attica alone is about 36 % of the country);
 * - building type: detached house 38 %, apartment 58 %, whole apartment block 4 % (Census 2011 dwellings
 *   split roughly 40/60 between houses and flats);
 * - construction period: <=1980 62 %, 1981-2000 28 %, 2001-2010 8 %, >=2011 2 % of the certified stock
 *   (EPCs 2011-2019 were issued mostly on sales and rentals of older homes); 56.8 % of pre-1981
 *   dwellings have no insulation and 45.6 % of all dwellings had none in 2011 (ELSTAT Census 2011 via
 *   hls.com.gr), which is why the older periods dominate;
 * - heating: oil boilers dominate (about half), natural gas only where the grid reaches (Attica,
 *   Thessaloniki, Larisa and a few more), heat pumps and split units in newer and southern homes,
 *   wood stoves in zone D; fireplaces and most wood stoves only in houses; generators and split units
 *   installed up to 2019, the end of the EPC period the targets describe;
 * - hot water: from the boiler in 35 % of boiler-heated houses and 10 % of flats, otherwise an
 *   electric water heater; solar water heaters on 40 % of houses and 20 % of flats (roof space);
 * - apartments: 41 % intermediate, 25 % lowest (over the pilotis), 29 % top floor, 5 % both;
 * - retrofits: 12 % of pre-2001 homes have replaced windows, 25 % of pre-2001 houses an insulated
 *   roof, as Exoikonomo-era renovations did.
 *
 * Seed 1 reproduces E-H 62.1 %, C-D 35.9 %, A-B 2.0 % and means of 440 (houses) and 290 (apartments)
 * kWh/m²: within 5 points and 10 %. The engine's apartments sit close to their reference building
 * because hot water, electric in both, is a large share of a flat's primary energy; more E-H flats
 * would push the apartment mean past 10 %.
 */
import type { AssessmentInputRaw } from "../energy/index.ts";
import { gasGridPrefectures } from "../energy/reference/typical.ts";
import { type ClimateZone, climateZones, prefectures } from "../energy/reference/zones.ts";
import type { Rng } from "../random/rng.ts";

type Prefecture = keyof typeof prefectures;

const prefecturesByZone = Object.fromEntries(
  climateZones.map((z) => [
    z,
    (Object.keys(prefectures) as Prefecture[]).filter((p) => prefectures[p].zone === z),
  ]),
) as Record<ClimateZone, Prefecture[]>;

/** The mixture, exposed so the seed report can show it. */
export const stockMixture = {
  zone: { A: 0.14, B: 0.52, C: 0.27, D: 0.07 },
  buildingType: { detached_house: 0.38, apartment: 0.58, apartment_block: 0.04 },
  period: { "<=1980": 0.62, "1981-2000": 0.28, "2001-2010": 0.08, ">=2011": 0.02 },
} as const;

function pick<K extends string>(rng: Rng, weights: Readonly<Record<K, number>>): K {
  let u = rng();
  let last: K | undefined;
  for (const [k, w] of Object.entries(weights) as [K, number][]) {
    last = k;
    u -= w;
    if (u < 0) return k;
  }
  return last as K;
}

const oneOf = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;
const between = (rng: Rng, lo: number, hi: number) => lo + rng() * (hi - lo);
const intBetween = (rng: Rng, lo: number, hi: number) => Math.floor(between(rng, lo, hi + 1));

/** Log-normal-ish size around a median, clamped to a plausible range. */
function size(rng: Rng, median: number, lo: number, hi: number): number {
  const normal = (rng() + rng() + rng() + rng() - 2) * 0.9; // approx. N(0, 0.52)
  return Math.round(Math.min(hi, Math.max(lo, median * Math.exp(normal))));
}

function constructionYear(rng: Rng, period: keyof typeof stockMixture.period): number {
  switch (period) {
    case "<=1980":
      return intBetween(rng, 1950, 1980);
    case "1981-2000":
      return intBetween(rng, 1981, 2000);
    case "2001-2010":
      return intBetween(rng, 2001, 2010);
    default:
      return intBetween(rng, 2011, 2025);
  }
}

type Heating = NonNullable<NonNullable<AssessmentInputRaw["systems"]>["heating"]>;

function heating(rng: Rng, zone: ClimateZone, gas: boolean, year: number, house: boolean): Heating {
  // Fireplaces and wood stoves heat houses; a flat in a block has a flue at best (ESTIMATE).
  const solidFuel = house ? 1 : 0;
  const weights: Record<Heating["type"], number> = {
    oil_boiler: 0.5,
    gas_boiler: gas ? 0.12 : 0,
    gas_condensing_boiler: gas && year > 2005 ? 0.08 : 0,
    heat_pump_air_water: year > 2010 ? 0.25 : 0.03,
    heat_pump_ground: 0,
    split_units: zone === "A" ? 0.3 : zone === "B" ? 0.14 : 0.06,
    direct_electric: house ? 0.04 : 0.02,
    oil_stove: 0.02,
    wood_stove: (zone === "D" ? 0.2 : zone === "C" ? 0.06 : 0.02) * (house ? 1 : 0.25),
    energy_fireplace: 0.02 * solidFuel,
    closed_fireplace: 0.02 * solidFuel,
    open_fireplace: 0.01 * solidFuel,
    none: 0,
  };
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  for (const k of Object.keys(weights) as Heating["type"][]) weights[k] /= total;
  const type = pick(rng, weights);
  // Generators are replaced every 15-30 years: installed between the construction year and now.
  const installedYear = Math.max(year, intBetween(rng, 1975, 2019));
  return { type, installedYear: Math.min(installedYear, 2025) };
}

/** One synthetic home. Deterministic for a given RNG state. */
export function syntheticHome(rng: Rng): AssessmentInputRaw {
  const zone = pick(rng, stockMixture.zone);
  const prefecture = oneOf(rng, prefecturesByZone[zone]);
  const buildingType = pick(rng, stockMixture.buildingType);
  const period = pick(rng, stockMixture.period);
  const year = constructionYear(rng, period);
  const gas = gasGridPrefectures.has(prefecture);

  const home: AssessmentInputRaw = {
    location: { prefecture },
    buildingType,
    constructionYear: year,
    heatedFloorAreaM2:
      buildingType === "detached_house"
        ? size(rng, 115, 45, 400)
        : buildingType === "apartment"
          ? size(rng, 82, 28, 220)
          : size(rng, 650, 250, 2500),
    storeys:
      buildingType === "detached_house"
        ? rng() < 0.55
          ? 1
          : 2
        : buildingType === "apartment"
          ? 1
          : intBetween(rng, 3, 7),
    naturalGasAvailable: gas,
  };
  if (buildingType === "apartment") {
    home.apartmentPosition = pick(rng, {
      middle: 0.41,
      ground: 0.25,
      top: 0.29,
      ground_and_top: 0.05,
    });
  }
  const h = heating(rng, zone, gas, year, buildingType === "detached_house");
  const cooling = rng() < (zone === "D" ? 0.45 : 0.85) ? "split_units" : "none";
  const hotWater =
    h.type === "oil_boiler" || h.type.startsWith("gas")
      ? buildingType === "detached_house"
        ? pick(rng, { electric: 0.65, heating_system: 0.35 })
        : pick(rng, { electric: 0.9, heating_system: 0.1 })
      : "electric";
  home.systems = {
    heating: h,
    cooling: {
      type: cooling,
      ...(cooling === "none" ? {} : { installedYear: Math.max(year, intBetween(rng, 1998, 2019)) }),
    },
    hotWater: { type: hotWater },
  };
  // Solar water heaters: about a third of Greek households (thermosiphons on flat roofs), more in houses.
  if (rng() < (buildingType === "detached_house" ? 0.4 : 0.2)) home.solarThermal = {};
  // Renovations of older homes: replaced windows and, for houses, an insulated roof.
  if (year <= 2000 && rng() < 0.12) {
    home.windows = { installedYear: intBetween(rng, Math.max(year + 10, 2000), 2024) };
  }
  if (year <= 2000 && buildingType === "detached_house" && rng() < 0.25) {
    home.uValues = { roof: Number(between(rng, 0.35, 0.6).toFixed(2)) };
  }
  if (year > 2010 && rng() < 0.15) home.pv = { peakKw: Number(between(rng, 3, 10).toFixed(1)) };
  return home;
}
