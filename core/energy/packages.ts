/**
 * Upgrade options: every applicable single measure and every package of them, each recomputed through
 * the same monthly calculation, priced, discounted and checked against Exoikonomo 2025. An option that
 * does not lower primary energy is evaluated but not offered.
 *
 * The search is exhaustive: packages are all subsets of the applicable measures with at most one new
 * heat generator (heat pump or condensing boiler). With 4 envelope measures, 2 heating options, solar
 * water heating and PV that is at most 16 x 3 x 2 x 2 = 192 packages. The heat balance is computed once
 * per envelope subset (at most 16) and the systems once per system choice (at most 12): a package is
 * the pairing of one of each. An envelope subset whose transmission coefficient the caller's negative
 * linear thermal bridges take to 0 or below has no answer (validity.ts) and is not searched.
 */
import { heatTransfer, monthlyBalance } from "./calc/balance.ts";
import { type ByCarrier, deliveredEnergy, hotWaterNeed } from "./calc/energy.ts";
import { classJump, energyClass } from "./classify.ts";
import {
  applyMeasures,
  type MeasureContext,
  type MeasureCost,
  type MeasureDef,
  type MeasureId,
  measures,
} from "./measures.ts";
import type { BuildingModel } from "./model.ts";
import type { EnergyClass } from "./reference/classes.ts";
import {
  type ExoikonomoIncomeCategory,
  exoikonomo2025,
  exoikonomoRates,
} from "./reference/costs.ts";
import { type Carrier, energyCarriers } from "./reference/systems.ts";
import { resolveEnvelope } from "./resolve/envelope.ts";
import { resolveSystems } from "./resolve/systems.ts";

export interface Economics {
  discountRate: number;
  horizonYears: number;
}

export interface ExoikonomoResult {
  eligible: boolean;
  classJump: number;
  primarySavingPct: number;
  eligibleCostEur: number;
  subsidyRate: number;
  subsidyEur: number;
  netCostEur: number;
  reasons: string[];
}

export interface UpgradeOption {
  id: string;
  measures: MeasureId[];
  labels: string[];
  investmentEur: number;
  investmentIncludesEstimates: boolean;
  costBasis: { measure: MeasureId; eur: number; basis: string; estimate: boolean }[];
  deliveredKwh: ByCarrier;
  savedDeliveredKwh: number;
  savedPrimaryKwh: number;
  savedPrimaryPct: number;
  savedEurPerYear: number;
  simplePaybackYears: number | null;
  npvEur: number;
  primaryEnergyKwhM2: number;
  ratio: number;
  energyClass: EnergyClass;
  exoikonomo: ExoikonomoResult;
}

export interface Baseline {
  deliveredKwh: ByCarrier;
  primaryKwh: number;
  costEur: number;
  energyClass: EnergyClass;
  referencePrimaryKwh: number;
}

export interface SearchResult {
  /** Each applicable measure alone that lowers primary energy. */
  singles: UpgradeOption[];
  /** Packages of two or more measures on the investment / primary-energy Pareto front. */
  packages: UpgradeOption[];
  cheapestEligible: UpgradeOption | null;
  cheapestClassB: UpgradeOption | null;
  /** Options computed (singles and packages), offered or not. */
  evaluated: number;
  /** Evaluated options left out because they do not lower primary energy. */
  notSaving: number;
}

/** kWh per year: a primary-energy saving at or below this is none (rounding noise). */
const MIN_SAVING_KWH = 1e-6;

export function annuityFactor(rate: number, years: number): number {
  return rate === 0 ? years : (1 - (1 + rate) ** -years) / rate;
}

export function searchUpgrades(
  ctx: MeasureContext,
  baseline: Baseline,
  prices: Readonly<Record<Carrier, number>>,
  economics: Economics,
  incomeCategory: ExoikonomoIncomeCategory,
): SearchResult {
  const { input, model } = ctx;
  const applicable = measures.filter((m) => m.applicable(ctx));
  const envelope = applicable.filter((m) => m.group === "envelope");
  const heating = applicable.filter((m) => m.group === "heating");
  const others = applicable.filter((m) => m.group !== "envelope" && m.group !== "heating");
  const costs = new Map(applicable.map((m) => [m.id, m.cost(ctx)]));
  const dhwNeed = hotWaterNeed(model);
  const annuity = annuityFactor(economics.discountRate, economics.horizonYears);

  // Heat balances per envelope subset. Insulation lowers the elements' U but not the linear thermal
  // bridges the caller gave: negative ones can then outweigh the envelope (H_tr <= 0), where the
  // method has no answer (assess() refuses such a home), so such a subset is not searched.
  const envSubsets = subsets(envelope);
  const balances = envSubsets.map((subset) => {
    const variant = subset.length ? applyMeasures(input, ids(subset), ctx) : input;
    const env = subset.length
      ? resolveEnvelope(variant, model.site.zone, model.geometry, null)
      : model.envelope;
    const m: BuildingModel = { ...model, envelope: env };
    const ht = heatTransfer(m);
    return ht.transmissionWK > 0 ? monthlyBalance(m, ht) : null;
  });
  // Systems per system choice: no new generator or one of the heating measures, times the others.
  const heatingChoices: MeasureDef[][] = [[], ...heating.map((h) => [h])];
  const systemSubsets: MeasureDef[][] = [];
  for (const hc of heatingChoices)
    for (const o of subsets(others)) systemSubsets.push([...hc, ...o]);
  const systems = systemSubsets.map((subset) => {
    if (!subset.length) return model.systems;
    const variant = applyMeasures(input, ids(subset), ctx);
    return resolveSystems(variant, model.site.zone, model.geometry, null);
  });

  // Light pass: numbers only. Full options (strings, cost basis) are built for the few returned.
  const area = model.geometry.floorAreaM2;
  const sumCosts = (subset: readonly MeasureDef[]) => {
    let investment = 0;
    let eligibleCost = 0;
    for (const m of subset) {
      const c = costs.get(m.id) as MeasureCost;
      investment += c.eur;
      if (m.exoikonomoEligible) eligibleCost += c.eur;
    }
    return { investment, eligibleCost };
  };
  const envCosts = envSubsets.map(sumCosts);
  const sysCosts = systemSubsets.map(sumCosts);
  const evaluated: Candidate[] = [];
  for (let e = 0; e < envSubsets.length; e++) {
    const balance = balances[e];
    if (!balance) continue;
    const ec = envCosts[e] as { investment: number; eligibleCost: number };
    for (let s = 0; s < systemSubsets.length; s++) {
      const size =
        (envSubsets[e] as MeasureDef[]).length + (systemSubsets[s] as MeasureDef[]).length;
      if (size === 0) continue;
      const energy = deliveredEnergy(
        { ...model, systems: systems[s] as BuildingModel["systems"] },
        balance,
        dhwNeed,
      );
      const sc = sysCosts[s] as { investment: number; eligibleCost: number };
      const savedPct =
        baseline.primaryKwh > 0
          ? (100 * (baseline.primaryKwh - energy.primaryKwh)) / baseline.primaryKwh
          : 0;
      const ratio = energy.primaryKwh / baseline.referencePrimaryKwh;
      const jump = classJump(baseline.energyClass, energyClass(ratio));
      evaluated.push({
        env: e,
        sys: s,
        size,
        delivered: energy.deliveredKwh,
        primaryKwh: energy.primaryKwh,
        primaryKwhM2: energy.primaryKwh / area,
        investment: ec.investment + sc.investment,
        ratio,
        eligible:
          jump >= exoikonomo2025.minClassJump &&
          savedPct > exoikonomo2025.minPrimarySavingPct &&
          ec.eligibleCost + sc.eligibleCost > 0,
      });
    }
  }
  const build = (c: Candidate) =>
    option(
      [...(envSubsets[c.env] as MeasureDef[]), ...(systemSubsets[c.sys] as MeasureDef[])],
      c.delivered,
      c.primaryKwh,
    );
  // Only options that lower primary energy are offered (a new generator can rate worse than a
  // recent one, or a measure can change nothing that counts).
  const offered = evaluated.filter((c) => baseline.primaryKwh - c.primaryKwh > MIN_SAVING_KWH);
  const eligible = cheapest(offered, (c) => c.eligible);
  const classB = cheapest(offered, (c) => c.ratio <= 1);
  return {
    singles: offered.filter((c) => c.size === 1).map(build),
    packages: paretoFront(offered.filter((c) => c.size > 1)).map(build),
    cheapestEligible: eligible ? build(eligible) : null,
    cheapestClassB: classB ? build(classB) : null,
    evaluated: evaluated.length,
    notSaving: evaluated.length - offered.length,
  };

  function option(chosen: MeasureDef[], delivered: ByCarrier, primaryKwh: number): UpgradeOption {
    let investment = 0;
    let eligibleCost = 0;
    let estimate = false;
    const costBasis: UpgradeOption["costBasis"] = [];
    for (const m of chosen) {
      const c = costs.get(m.id) as MeasureCost;
      investment += c.eur;
      if (m.exoikonomoEligible) eligibleCost += c.eur;
      estimate ||= c.estimate;
      costBasis.push({ measure: m.id, ...c });
    }
    let savedDelivered = 0;
    let costAfter = 0;
    for (const c of energyCarriers) {
      savedDelivered += baseline.deliveredKwh[c] - delivered[c];
      costAfter += delivered[c] * prices[c];
    }
    const savedEur = baseline.costEur - costAfter;
    const savedPrimary = baseline.primaryKwh - primaryKwh;
    const savedPct = baseline.primaryKwh > 0 ? (100 * savedPrimary) / baseline.primaryKwh : 0;
    const ratio = primaryKwh / baseline.referencePrimaryKwh;
    const cls = energyClass(ratio);
    const jump = classJump(baseline.energyClass, cls);
    const reasons: string[] = [];
    if (jump < exoikonomo2025.minClassJump)
      reasons.push(`class jump ${jump} < ${exoikonomo2025.minClassJump}`);
    if (!(savedPct > exoikonomo2025.minPrimarySavingPct)) {
      reasons.push(
        `primary-energy saving ${savedPct.toFixed(1)} % is not above ${exoikonomo2025.minPrimarySavingPct} %`,
      );
    }
    if (eligibleCost === 0) reasons.push("no eligible measure (PV alone is not eligible)");
    const eligible = reasons.length === 0;
    const cappedEligible = Math.min(
      eligibleCost,
      exoikonomo2025.maxEligibleEurPerDwelling * model.geometry.dwellings,
    );
    const rate = exoikonomoRates[incomeCategory];
    const subsidy = eligible ? rate * cappedEligible : 0;
    const measureIds = ids(chosen);
    return {
      id: measureIds.join("+"),
      measures: measureIds,
      labels: chosen.map((m) => m.label),
      investmentEur: investment,
      investmentIncludesEstimates: estimate,
      costBasis,
      deliveredKwh: delivered,
      savedDeliveredKwh: savedDelivered,
      savedPrimaryKwh: savedPrimary,
      savedPrimaryPct: savedPct,
      savedEurPerYear: savedEur,
      simplePaybackYears: savedEur > 0 ? investment / savedEur : null,
      npvEur: -investment + savedEur * annuity,
      primaryEnergyKwhM2: primaryKwh / area,
      ratio,
      energyClass: cls,
      exoikonomo: {
        eligible,
        classJump: jump,
        primarySavingPct: savedPct,
        eligibleCostEur: eligible ? cappedEligible : 0,
        subsidyRate: rate,
        subsidyEur: subsidy,
        netCostEur: investment - subsidy,
        reasons,
      },
    };
  }
}

/** A searched option before it is turned into an UpgradeOption. */
interface Candidate {
  /** Index of the envelope subset and of the system subset. */
  env: number;
  sys: number;
  size: number;
  delivered: ByCarrier;
  primaryKwh: number;
  primaryKwhM2: number;
  investment: number;
  ratio: number;
  eligible: boolean;
}

/** Options no other option beats on both investment and primary energy, cheapest first. */
export function paretoFront<T extends { investment: number; primaryKwhM2: number }>(
  options: readonly T[],
): T[] {
  const sorted = [...options].sort(
    (a, b) => a.investment - b.investment || a.primaryKwhM2 - b.primaryKwhM2,
  );
  const front: T[] = [];
  let best = Number.POSITIVE_INFINITY;
  for (const o of sorted) {
    if (o.primaryKwhM2 < best - 1e-9) {
      front.push(o);
      best = o.primaryKwhM2;
    }
  }
  return front;
}

/** The cheapest accepted option (lower primary energy breaks ties). */
export function cheapest<T extends { investment: number; primaryKwhM2: number }>(
  options: readonly T[],
  accept: (o: T) => boolean,
): T | null {
  let best: T | null = null;
  for (const o of options) {
    if (!accept(o)) continue;
    if (
      !best ||
      o.investment < best.investment ||
      (o.investment === best.investment && o.primaryKwhM2 < best.primaryKwhM2)
    ) {
      best = o;
    }
  }
  return best;
}

function subsets<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  const n = items.length;
  for (let mask = 0; mask < 1 << n; mask++) {
    const s: T[] = [];
    for (let i = 0; i < n; i++) if (mask & (1 << i)) s.push(items[i] as T);
    out.push(s);
  }
  return out;
}

const ids = (ms: readonly MeasureDef[]) => ms.map((m) => m.id);
