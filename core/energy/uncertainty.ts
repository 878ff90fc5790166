/**
 * How sure the class is when estimates stand in for unknowns. The estimated parameters (the systems
 * from their cohort shares; U-values, window-joint air tightness, window share and occupancy from the
 * documented ranges of reference/typical.ts) are sampled together with a Latin hypercube driven by a
 * seeded PRNG (the seed is a hash of the input, so the same input always gives the same answer), each
 * sample is run through the same monthly calculation as the home and its reference building, and the
 * class distribution and the p10/p50/p90 of primary energy and annual cost are read from the samples.
 *
 * Which unknown matters most: one-at-a-time variance attribution on T = EP / EP_ref (the number the
 * class is read from). Each unknown is varied alone over its distribution (systems: every option with its
 * share; ranges: 9 equal-probability strata) with the others at their central value; its share of the
 * summed variances ranks it. Declaring that unknown removes its variance from the answer.
 *
 * What can be promised about narrowing (law of total variance): for any unknown X and any function g of
 * the sampled parameters, E_X[Var(g | X)] <= Var(g). Declaring an unknown, averaged over what the
 * homeowner may declare (weighted by the shares), never widens the spread of T or of the class index;
 * a single declared value can (a rare system is rarer than its cohort), which is why the property test
 * checks the average.
 */

import { createRng, type Rng } from "../random/rng.ts";
import { heatTransfer, monthlyBalance } from "./calc/balance.ts";
import { deliveredEnergy, hotWaterNeed } from "./calc/energy.ts";
import { energyClass } from "./classify.ts";
import type { BuildingModel, OrientationClass, Systems } from "./model.ts";
import { type EnergyClass, energyClasses } from "./reference/classes.ts";
import { residentialConditions as rc } from "./reference/conditions.ts";
import { type Carrier, energyCarriers } from "./reference/systems.ts";
import { estimateRanges } from "./reference/typical.ts";
import { referenceBuilding } from "./reference-building.ts";
import { withConstructionU } from "./resolve/envelope.ts";
import { orientationClasses } from "./resolve/geometry.ts";
import { resolveSystems } from "./resolve/systems.ts";
import type { CompleteInput, Unknowns } from "./resolve/typical.ts";
import { ratingRatio, requirePositiveTransmission } from "./validity.ts";

/**
 * Samples: 50 Latin-hypercube draws of the continuous unknowns (two monthly heat balances each, the
 * expensive part), times 4 stratified draws of the system unknowns (one delivered-energy step each):
 * 200 samples, class shares to a few points.
 */
export const CONTINUOUS_DRAWS = 50;
export const SYSTEM_DRAWS = 4;
/** Strata per continuous unknown in the one-at-a-time attribution. */
const ATTRIBUTION_POINTS = 5;

export type UnknownId =
  | "systems.heating"
  | "systems.cooling"
  | "solarThermal"
  | "uValues"
  | "windows.airtight"
  | "geometry.windowsM2"
  | "occupancy.persons";

const labels: Record<UnknownId, string> = {
  "systems.heating": "your heating system",
  "systems.cooling": "your cooling (air conditioning)",
  solarThermal: "whether you have a solar water heater",
  uValues: "your walls', roof's and windows' insulation (U-values)",
  "windows.airtight": "how airtight your windows are",
  "geometry.windowsM2": "your window areas",
  "occupancy.persons": "how many people live in the home",
};

interface Triangle {
  low: number;
  mode: number;
  high: number;
}

/** Inverse CDF of a triangular distribution. */
export function triangular(t: Triangle, u: number): number {
  const { low: a, mode: c, high: b } = t;
  const fc = (c - a) / (b - a);
  return u < fc ? a + Math.sqrt(u * (b - a) * (c - a)) : b - Math.sqrt((1 - u) * (b - a) * (b - c));
}

/** One value per unknown: an option index for systems, a number for ranges. */
type Draw = Partial<Record<UnknownId, number>>;

interface Factor {
  id: UnknownId;
  /** A system choice (no new heat balance needed) rather than a continuous parameter. */
  discrete: boolean;
  central: number;
  /** Value of the factor for a uniform u in [0, 1). */
  at(u: number): number;
  /** The factor's distribution as weighted points (exact for systems, strata for ranges). */
  points(): [number, number][];
}

function discrete(id: UnknownId, shares: readonly number[], central: number): Factor {
  return {
    id,
    discrete: true,
    central,
    at(u) {
      let acc = 0;
      for (let i = 0; i < shares.length; i++) {
        acc += shares[i] as number;
        if (u < acc) return i;
      }
      return shares.length - 1;
    },
    points: () => shares.map((w, i) => [i, w] as [number, number]),
  };
}

function continuous(id: UnknownId, t: Triangle): Factor {
  return {
    id,
    discrete: false,
    central: t.mode,
    at: (u) => triangular(t, u),
    points: () =>
      Array.from({ length: ATTRIBUTION_POINTS }, (_, i) => [
        triangular(t, (i + 0.5) / ATTRIBUTION_POINTS),
        1 / ATTRIBUTION_POINTS,
      ]),
  };
}

export interface Percentiles {
  p10: number;
  p50: number;
  p90: number;
}

export interface Uncertainty {
  samples: number;
  seed: number;
  classDistribution: { energyClass: EnergyClass; share: number }[];
  summary: string;
  modeClass: EnergyClass;
  primaryEnergyKwhM2: Percentiles;
  annualCostEur: Percentiles;
  ratio: Percentiles;
  unknowns: {
    field: UnknownId;
    label: string;
    varianceShare: number;
    ratioRange: [number, number];
    classesAlone: EnergyClass[];
  }[];
  narrowMost: { field: UnknownId; advice: string } | null;
  method: string;
}

/** FNV-1a over the input's JSON: the seed, so the same input always draws the same samples. */
export function seedOf(input: unknown): number {
  const s = JSON.stringify(input);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const sumClasses = (r: Record<OrientationClass, number>) => {
  let s = 0;
  for (const c of orientationClasses) s += r[c];
  return s;
};

/** The sampler of one home: builds a model variant for a draw and evaluates it. */
function sampler(
  input: CompleteInput,
  unknowns: Unknowns,
  model: BuildingModel,
  prices: Readonly<Record<Carrier, number>>,
) {
  const factors: Factor[] = [];
  const heatingOptions = unknowns.heating?.map(([type]) => type) ?? [];
  if (unknowns.heating) {
    factors.push(
      discrete(
        "systems.heating",
        unknowns.heating.map(([, w]) => w),
        0,
      ),
    );
  }
  // Options: 0 = the estimate (modal), 1 = the other one.
  const coolingOptions: ("split_units" | "none")[] = [];
  if (unknowns.splitUnitShare !== null) {
    const s = unknowns.splitUnitShare;
    const modal = input.systems?.cooling?.type === "split_units" ? "split_units" : "none";
    coolingOptions.push(modal, modal === "split_units" ? "none" : "split_units");
    factors.push(discrete("systems.cooling", modal === "split_units" ? [s, 1 - s] : [1 - s, s], 0));
  }
  const solarOptions: boolean[] = [];
  if (unknowns.solarShare !== null) {
    const s = unknowns.solarShare;
    const modal = input.solarThermal !== undefined;
    solarOptions.push(modal, !modal);
    factors.push(discrete("solarThermal", modal ? [s, 1 - s] : [1 - s, s], 0));
  }
  const givenU = input.uValues ?? {};
  const anyUEstimated =
    givenU.wall === undefined ||
    givenU.roof === undefined ||
    givenU.floor === undefined ||
    input.windows?.uValue === undefined;
  if (anyUEstimated) factors.push(continuous("uValues", estimateRanges.uValueFactor));
  // A measured air-change rate or n50 replaces the window-joint estimate: nothing to sample then.
  if (input.windows?.airtight === undefined && input.airtightness === undefined) {
    factors.push(continuous("windows.airtight", estimateRanges.infiltrationFactor));
  }
  const g = model.geometry;
  const area = g.floorAreaM2;
  const facade = {} as Record<OrientationClass, number>;
  for (const c of orientationClasses) facade[c] = g.wallsM2[c] + g.windowsM2[c];
  const facadeTotal = sumClasses(facade);
  if (!input.geometry?.windowsM2 && facadeTotal > 0) {
    const w = estimateRanges.windowToFloor;
    // Centred on the engine's own window area (15 % of the floor unless the façade caps it).
    const central = sumClasses(g.windowsM2) / area;
    const scale = central / w.mode;
    factors.push(
      continuous("geometry.windowsM2", {
        low: w.low * scale,
        mode: central,
        high: w.high * scale,
      }),
    );
  }
  if (input.occupancy?.persons === undefined) {
    factors.push(continuous("occupancy.persons", estimateRanges.occupancyFactor));
  }

  const systemsCache = new Map<string, Systems>();
  const systemsFor = (d: Draw): Systems => {
    const h = d["systems.heating"];
    const c = d["systems.cooling"];
    const s = d.solarThermal;
    const key = `${h ?? "-"}|${c ?? "-"}|${s ?? "-"}`;
    let out = systemsCache.get(key);
    if (!out) {
      if (h === undefined && c === undefined && s === undefined) {
        out = model.systems;
      } else {
        const variant: CompleteInput = {
          ...input,
          systems: {
            ...input.systems,
            ...(h === undefined ? {} : { heating: { type: heatingOptions[h] as never } }),
            ...(c === undefined ? {} : { cooling: { type: coolingOptions[c] as never } }),
          },
        };
        if (s !== undefined) {
          if (solarOptions[s]) variant.solarThermal = {};
          else delete variant.solarThermal;
        }
        out = resolveSystems(variant, model.site.zone, model.geometry, null);
      }
      systemsCache.set(key, out);
    }
    return out;
  };

  const e0 = model.envelope;
  // Whether each element's U was estimated (neither its kind's `uValues` nor its own `uValue` given).
  const uEstimated = e0.elements.map(
    (el) =>
      givenU[el.kind] === undefined &&
      (el.inputIndex === null || input.elements?.[el.inputIndex]?.uValue === undefined),
  );
  const u0 = model.usage;
  /** The heat balances of the home and its reference for the continuous part of a draw. */
  const balance = (d: Draw) => {
    const uf = d.uValues ?? 1;
    const inf = d["windows.airtight"] ?? 1;
    const envelope = {
      ...e0,
      // The heat balance reads each element's own U: an element whose U was estimated (neither its
      // kind's `uValues` nor its own `uValue` given) takes the factor on its construction U.
      elements:
        uf === 1
          ? e0.elements
          : e0.elements.map((el, i) =>
              uEstimated[i] ? withConstructionU(el, el.uConstruction * uf) : el,
            ),
      uWall: givenU.wall === undefined ? e0.uWall * uf : e0.uWall,
      uRoof: givenU.roof === undefined ? e0.uRoof * uf : e0.uRoof,
      uFloor: givenU.floor === undefined ? e0.uFloor * uf : e0.uFloor,
      uWindow: input.windows?.uValue === undefined ? e0.uWindow * uf : e0.uWindow,
      windowInfiltrationM3hPerM2: e0.windowInfiltrationM3hPerM2 * inf,
    };
    let geometry = g;
    const share = d["geometry.windowsM2"];
    if (share !== undefined) {
      const total = Math.min(share * area, 0.6 * facadeTotal);
      const windowsM2 = {} as Record<OrientationClass, number>;
      const wallsM2 = {} as Record<OrientationClass, number>;
      for (const c of orientationClasses) {
        windowsM2[c] = (total * facade[c]) / facadeTotal;
        wallsM2[c] = facade[c] - windowsM2[c];
      }
      geometry = { ...g, windowsM2, wallsM2 };
    }
    let usage = u0;
    const occ = d["occupancy.persons"];
    if (occ !== undefined) {
      const gainPerPerson = rc.occupantGainWPerPerson * rc.occupantPresenceFactor;
      usage = {
        ...u0,
        persons: u0.persons * occ,
        internalGainsW: u0.internalGainsW + u0.persons * (occ - 1) * gainPerPerson,
        dhwLitresPerDay: u0.dhwLitresPerDay * occ,
      };
    }
    const m: BuildingModel = {
      site: model.site,
      geometry,
      envelope,
      usage,
      systems: model.systems,
    };
    const ref = referenceBuilding(m);
    const ht = heatTransfer(m);
    requirePositiveTransmission(m, ht, "sampled");
    return {
      model: m,
      months: monthlyBalance(m, ht),
      dhw: hotWaterNeed(m),
      ref,
      refMonths: monthlyBalance(ref),
      /** Reference primary energy by cooling coverage (the only system input the reference takes). */
      refPrimary: new Map<number, number>(),
    };
  };
  type Balance = ReturnType<typeof balance>;
  /** EP, T and cost of a balance with the systems of the discrete part of a draw. */
  const energy = (b: Balance, d: Draw) => {
    const systems = systemsFor(d);
    const e = deliveredEnergy({ ...b.model, systems }, b.months, b.dhw);
    const coverage = systems.cooling.coverage;
    let refPrimary = b.refPrimary.get(coverage);
    if (refPrimary === undefined) {
      const ref = {
        ...b.ref,
        systems: { ...b.ref.systems, cooling: { ...b.ref.systems.cooling, coverage } },
      };
      refPrimary = deliveredEnergy(ref, b.refMonths, b.dhw).primaryKwh;
      b.refPrimary.set(coverage, refPrimary);
    }
    let cost = 0;
    for (const c of energyCarriers) cost += e.deliveredKwh[c] * prices[c];
    const ratio = ratingRatio(e.primaryKwh, refPrimary, b.model.usage, coverage, "sampled");
    return { ratio, primaryKwhM2: e.primaryKwh / area, costEur: cost };
  };
  return { factors, balance, energy };
}

const quantile = (sorted: number[], q: number): number => {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
};
const percentiles = (xs: number[]): Percentiles => {
  const s = [...xs].sort((a, b) => a - b);
  return { p10: quantile(s, 0.1), p50: quantile(s, 0.5), p90: quantile(s, 0.9) };
};

/** A Latin hypercube: `n` stratified uniforms per dimension, strata shuffled independently. */
function latinHypercube(rng: Rng, n: number, dims: number): number[][] {
  const cols: number[][] = [];
  for (let d = 0; d < dims; d++) {
    const col = Array.from({ length: n }, (_, i) => (i + rng()) / n);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [col[i], col[j]] = [col[j] as number, col[i] as number];
    }
    cols.push(col);
  }
  return cols;
}

export interface UncertaintyOptions {
  /** Draws of the continuous unknowns (each costs two monthly heat balances). */
  draws?: number;
  /** Draws of the system unknowns per continuous draw (each costs one delivered-energy step). */
  perDraw?: number;
  /** Fix unknowns to a value (for tests: the distribution conditional on a declared value). */
  fixed?: Draw;
}

/** Class distribution, percentiles and attribution for a completed input and its resolved model. */
export function assessUncertainty(
  input: CompleteInput,
  unknowns: Unknowns,
  model: BuildingModel,
  prices: Readonly<Record<Carrier, number>>,
  options: UncertaintyOptions = {},
): Uncertainty {
  const { factors: all, balance, energy } = sampler(input, unknowns, model, prices);
  const fixed = options.fixed ?? {};
  const factors = all.filter((f) => fixed[f.id] === undefined);
  const cont = factors.filter((f) => !f.discrete);
  const disc = factors.filter((f) => f.discrete);
  const draws = Math.max(5, Math.round(options.draws ?? CONTINUOUS_DRAWS));
  const perDraw = disc.length ? Math.max(1, Math.round(options.perDraw ?? SYSTEM_DRAWS)) : 1;
  const n = draws * perDraw;
  const seed = seedOf(input);
  const rng = createRng(seed);
  const contU = latinHypercube(rng, draws, cont.length);
  const discU = latinHypercube(rng, n, disc.length);

  const ratios: number[] = [];
  const eps: number[] = [];
  const costs: number[] = [];
  const counts = new Map<EnergyClass, number>();
  for (let i = 0; i < draws; i++) {
    const dc: Draw = { ...fixed };
    for (let k = 0; k < cont.length; k++) {
      const f = cont[k] as Factor;
      dc[f.id] = f.at((contU[k] as number[])[i] as number);
    }
    const b = balance(dc);
    for (let j = 0; j < perDraw; j++) {
      const d: Draw = { ...dc };
      for (let k = 0; k < disc.length; k++) {
        const f = disc[k] as Factor;
        d[f.id] = f.at((discU[k] as number[])[i * perDraw + j] as number);
      }
      const r = energy(b, d);
      ratios.push(r.ratio);
      eps.push(r.primaryKwhM2);
      costs.push(r.costEur);
      const cls = energyClass(r.ratio);
      counts.set(cls, (counts.get(cls) ?? 0) + 1);
    }
  }
  const classDistribution = energyClasses
    .filter((c) => counts.has(c))
    .map((c) => ({ energyClass: c, share: (counts.get(c) as number) / n }))
    .sort((a, b) => b.share - a.share);
  const modeClass = (classDistribution[0] as { energyClass: EnergyClass }).energyClass;

  // One at a time: each unknown over its distribution, the others at their central values.
  const centralDraw: Draw = { ...fixed };
  for (const f of factors) centralDraw[f.id] = f.central;
  const centralBalance = balance(centralDraw);
  const attribution = factors.map((f) => {
    let mean = 0;
    let sq = 0;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    const classes = new Set<EnergyClass>();
    for (const [value, w] of f.points()) {
      if (w <= 0) continue;
      const d = { ...centralDraw, [f.id]: value };
      const t = energy(f.discrete ? centralBalance : balance(d), d).ratio;
      mean += w * t;
      sq += w * t * t;
      lo = Math.min(lo, t);
      hi = Math.max(hi, t);
      classes.add(energyClass(t));
    }
    return {
      field: f.id,
      label: labels[f.id],
      variance: Math.max(0, sq - mean * mean),
      ratioRange: [lo, hi] as [number, number],
      classesAlone: energyClasses.filter((c) => classes.has(c)),
    };
  });
  const totalVariance = attribution.reduce((s, a) => s + a.variance, 0);
  const ranked = attribution
    .map(({ variance, ...a }) => ({
      ...a,
      varianceShare: totalVariance > 0 ? variance / totalVariance : 0,
    }))
    .sort((a, b) => b.varianceShare - a.varianceShare);
  const top = ranked[0];
  return {
    samples: n,
    seed,
    classDistribution,
    summary: classDistribution
      .map((c) => `${c.energyClass} ${Math.round(c.share * 100)}%`)
      .join(", "),
    modeClass,
    primaryEnergyKwhM2: percentiles(eps),
    annualCostEur: percentiles(costs),
    ratio: percentiles(ratios),
    unknowns: ranked,
    narrowMost:
      top && top.varianceShare > 0
        ? { field: top.field, advice: `declaring ${top.label} would narrow this most` }
        : null,
    method: `${n} samples (${draws} Latin-hypercube draws of the ranges x ${perDraw} of the systems, seeded by the input) of the ESTIMATE parameters: systems from their cohort shares, U-values x0.7-1.3, window-joint infiltration x0.5-1.5, window area 12-20 % of the floor, occupants x0.6-1.2 (triangular); attribution: one-at-a-time variance of T = EP / EP_ref (systems over their shares, ranges over ${ATTRIBUTION_POINTS} strata)`,
  };
}
