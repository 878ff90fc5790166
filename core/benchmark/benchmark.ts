/**
 * Benchmarks: how a home compares with similar homes, and the statistics of a cohort. A request reads
 * the cohort totals (homes and sums of a handful of cohorts, by primary key) and takes quartiles, class
 * counts and, while the cohort has not moved since, percentile ranks from the cohort summaries kept in
 * memory (summaries.ts); once it has moved, ranks are read fresh from the bins (an index range read).
 * No request computes a summary unless its cohort was never seen by this process.
 */
import type { Client } from "@libsql/client";
import { type EnergyClass, energyClasses } from "../energy/index.ts";
import {
  type Cohort,
  cohortKey,
  cohortLevel,
  fallbackChain,
  finestCohort,
  MIN_COHORT_SIZE,
  parseCohortKey,
  storedCohortFor,
} from "./cohort.ts";
import type { HomeFigures } from "./figures.ts";
import {
  type BinnedMetric,
  type CohortTotals,
  type Quartiles,
  ranksStatement,
  readRanks,
  readTotals,
  totalsStatement,
} from "./store.ts";
import {
  type CohortSummary,
  createSummaryCache,
  loadSummary,
  rankFromSummary,
  type SummaryCache,
  type SummaryCacheOptions,
  scanSide,
} from "./summaries.ts";

export { type CohortSummary, createSummaryCache, type SummaryCache, type SummaryCacheOptions };

export interface CohortDescription extends Cohort {
  key: string;
  level: string;
}

export interface CohortStatistics {
  cohort: CohortDescription;
  homes: number;
  primaryEnergyKwhM2: Quartiles & { mean: number };
  annualCostEur: Quartiles & { mean: number };
  co2KgM2: Quartiles & { mean: number };
  classes: { energyClass: EnergyClass; homes: number; sharePct: number }[];
  updatedAt: string;
}

export interface CohortAnswer {
  /** The cohort asked for (for a home: its finest cohort). */
  requested: CohortDescription;
  /** Whether a broader cohort answered because the requested one had fewer than `minHomes`. */
  fallback: boolean;
  minHomes: number;
  /** null when no home is stored in any cohort that could answer. */
  statistics: CohortStatistics | null;
  note?: string;
}

export const describeCohort = (c: Cohort): CohortDescription => ({
  key: cohortKey(c),
  level: cohortLevel(c),
  ...c,
});

/** Broader cohorts to fall back to, the given one first. */
export function broaderChain(filter: Cohort): Cohort[] {
  const stored = storedCohortFor(filter);
  if (stored.zone && stored.buildingType) {
    const chain = fallbackChain({
      zone: stored.zone,
      buildingType: stored.buildingType,
      period: stored.period ?? "<=1980",
      areaBand: stored.areaBand ?? "<50",
    });
    const start = chain.findIndex((c) => cohortKey(c) === cohortKey(stored));
    return chain.slice(start);
  }
  if (stored.buildingType || stored.zone) return [stored, {}];
  return [{}];
}

function choose(chain: Cohort[], totals: Map<string, CohortTotals>) {
  const withHomes = chain.filter((c) => (totals.get(cohortKey(c))?.homes ?? 0) > 0);
  const big = withHomes.find((c) => (totals.get(cohortKey(c))?.homes ?? 0) >= MIN_COHORT_SIZE);
  return { cohort: big ?? withHomes.at(-1), sparse: !big && withHomes.length > 0 };
}

export interface BenchmarkOptions {
  cache?: SummaryCache;
  nowMs?: number;
}

/** The summaries of `keys` (from the cache, or loaded when there is none), concurrently. */
async function summaries(
  client: Client,
  scope: string,
  keys: readonly string[],
  totals: Map<string, CohortTotals>,
  options: BenchmarkOptions,
): Promise<Map<string, CohortSummary>> {
  const nowMs = options.nowMs ?? Date.now();
  const { cache } = options;
  const got = keys.map((key) =>
    cache
      ? cache.get(`${scope}\u0000${key}`, totals.get(key)?.version, nowMs, () =>
          loadSummary(client, scope, key),
        )
      : loadSummary(client, scope, key),
  );
  const values = got.some((g) => g instanceof Promise) ? await Promise.all(got) : got;
  return new Map(keys.map((key, i) => [key, values[i] as CohortSummary]));
}

/** Whether a summary is exactly the cohort as its fresh totals describe it. */
const exact = (summary: CohortSummary | undefined, totals: CohortTotals | undefined) =>
  summary !== undefined && totals !== undefined && summary.version === totals.version;

function statistics(
  cohort: Cohort,
  totals: CohortTotals,
  summary: CohortSummary | undefined,
): CohortStatistics {
  const q = (m: BinnedMetric) => summary?.quartiles[m] ?? { p25: 0, median: 0, p75: 0 };
  const classes = summary?.classes;
  // Shares of the homes the class counts were read with (the cohort's homes, unless it has moved).
  let classHomes = 0;
  for (const c of energyClasses) classHomes += classes?.[c] ?? 0;
  return {
    cohort: describeCohort(cohort),
    homes: totals.homes,
    primaryEnergyKwhM2: { mean: totals.meanPrimaryEnergyKwhM2, ...q("pe") },
    annualCostEur: { mean: totals.meanAnnualCostEur, ...q("cost") },
    co2KgM2: { mean: totals.meanCo2KgM2, ...q("co2") },
    classes: energyClasses.map((c) => ({
      energyClass: c,
      homes: classes?.[c] ?? 0,
      sharePct: classHomes > 0 ? (100 * (classes?.[c] ?? 0)) / classHomes : 0,
    })),
    updatedAt: new Date(totals.updatedAtMs).toISOString(),
  };
}

const EMPTY_NOTE =
  "no homes are stored in this scope yet: seed the reference stock (npm run seed) or store assessments";
const sparseNote = (homes: number) =>
  `only ${homes} homes are stored in the broadest cohort that has any; statistics are indicative until it holds ${MIN_COHORT_SIZE}`;

/** GET /v1/benchmarks: a cohort's statistics, falling back to a broader cohort when it is too small. */
export async function cohortStatistics(
  client: Client,
  scope: string,
  filter: Cohort,
  options: BenchmarkOptions = {},
): Promise<CohortAnswer> {
  const chain = broaderChain(filter);
  const totals = readTotals(
    (await client.execute(totalsStatement(scope, chain.map(cohortKey)))).rows,
  );
  const { cohort, sparse } = choose(chain, totals);
  const requested = describeCohort(filter);
  const base = { requested, minHomes: MIN_COHORT_SIZE };
  if (!cohort) return { ...base, fallback: false, statistics: null, note: EMPTY_NOTE };
  const key = cohortKey(cohort);
  const read = await summaries(client, scope, [key], totals, options);
  const own = totals.get(key) as CohortTotals;
  return {
    ...base,
    fallback: key !== cohortKey(storedCohortFor(filter)) || key !== requested.key,
    statistics: statistics(cohort, own, read.get(key)),
    ...(sparse ? { note: sparseNote(own.homes) } : {}),
  };
}

export interface MedianComparison {
  cohort: CohortDescription;
  homes: number;
  medianKwhM2: number;
  /** The home's primary energy relative to the median, in % (negative: better than the median). */
  differencePct: number;
}

export interface HomeBenchmark extends CohortAnswer {
  home: { primaryEnergyKwhM2: number; energyClass: EnergyClass; cohort: CohortDescription };
  /** "Uses less energy than X % of similar homes" (0-100), null without statistics. */
  lessEnergyThanPct: number | null;
  summary: string;
  topQuarter: { thresholdKwhM2: number; reached: boolean; reductionNeededKwhM2: number } | null;
  zone: MedianComparison | null;
  national: MedianComparison | null;
  recommendedPackage: {
    primaryEnergyKwhM2: number;
    energyClass: EnergyClass | null;
    lessEnergyThanPct: number;
    reachesTopQuarter: boolean;
  } | null;
}

/** GET /v1/assessments/:id/benchmark: where a home stands among similar homes of `scope`. */
export async function benchmarkHome(
  client: Client,
  scope: string,
  home: HomeFigures,
  options: BenchmarkOptions = {},
): Promise<HomeBenchmark> {
  const finest = finestCohort(home);
  const chain = fallbackChain(finest);
  const zoneKey = cohortKey({ zone: home.zone });
  const keys = [...chain.map(cohortKey), zoneKey];
  const totals = readTotals((await client.execute(totalsStatement(scope, keys))).rows);
  const { cohort, sparse } = choose(chain, totals);
  const homePart = {
    primaryEnergyKwhM2: home.primaryEnergyKwhM2,
    energyClass: home.energyClass,
    cohort: describeCohort(finest),
  };
  const base = { requested: describeCohort(finest), minHomes: MIN_COHORT_SIZE, home: homePart };
  if (!cohort) {
    return {
      ...base,
      fallback: false,
      statistics: null,
      note: EMPTY_NOTE,
      lessEnergyThanPct: null,
      summary: "no similar homes are stored yet",
      topQuarter: null,
      zone: null,
      national: null,
      recommendedPackage: null,
    };
  }
  const key = cohortKey(cohort);
  const own = totals.get(key) as CohortTotals;
  const medianKeys = [zoneKey, "*"].filter((k) => totals.has(k) && k !== key);
  const packagePe = home.packagePrimaryEnergyKwhM2;
  const read = await summaries(client, scope, [key, ...medianKeys], totals, options);
  const summary = read.get(key);
  const stats = statistics(cohort, own, summary);
  // Ranks are always of the cohort as it is now: from the summary while it is exact, else from the bins.
  let rank: number;
  let packageRank: number | null = null;
  if (summary && exact(summary, own)) {
    rank = rankFromSummary(summary, home.primaryEnergyKwhM2);
    if (packagePe !== null) packageRank = rankFromSummary(summary, packagePe);
  } else {
    // One statement for both ranks, scanning the side of their bins where the cohort has fewer.
    const values =
      packagePe === null ? [home.primaryEnergyKwhM2] : [home.primaryEnergyKwhM2, packagePe];
    const side = scanSide(summary, values);
    const ranks = await client.execute(ranksStatement(scope, key, values, side));
    [rank = 0, packageRank = null] = readRanks(ranks.rows[0], values.length, side);
  }
  const p25 = stats.primaryEnergyKwhM2.p25;
  const median = (k: string): MedianComparison | null => {
    const t = totals.get(k);
    const m = read.get(k)?.quartiles.pe?.median;
    if (!t || m === undefined) return null;
    return {
      cohort: describeCohort(parseCohortKey(k)),
      homes: t.homes,
      medianKwhM2: m,
      differencePct: (100 * (home.primaryEnergyKwhM2 - m)) / m,
    };
  };
  const similar = cohort === chain[0] ? "similar homes" : `homes of the broader cohort ${key}`;
  return {
    ...base,
    fallback: key !== cohortKey(finest),
    statistics: stats,
    ...(sparse ? { note: sparseNote(own.homes) } : {}),
    lessEnergyThanPct: rank,
    summary: `uses less energy than ${Math.round(rank)}% of ${similar}`,
    topQuarter: {
      thresholdKwhM2: p25,
      reached: home.primaryEnergyKwhM2 <= p25,
      reductionNeededKwhM2: Math.max(0, home.primaryEnergyKwhM2 - p25),
    },
    zone: key === zoneKey ? median(key) : median(zoneKey),
    national: key === "*" ? median(key) : median("*"),
    recommendedPackage:
      packagePe === null
        ? null
        : {
            primaryEnergyKwhM2: packagePe,
            energyClass: home.packageEnergyClass,
            lessEnergyThanPct: packageRank ?? 0,
            reachesTopQuarter: packagePe <= p25,
          },
  };
}
