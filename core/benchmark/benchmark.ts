/**
 * Benchmarks: how a home compares with similar homes, and the statistics of a cohort. Two round trips
 * to the database at most (cohort sizes, then the answering cohort's histograms), each a handful of
 * index-ordered reads over bounded histograms; the cost does not grow with the number of homes.
 */
import type { Client, InStatement, ResultSet } from "@libsql/client";
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
  classesStatement,
  type Quartiles,
  quartilesStatement,
  rankStatement,
  readBatch,
  readClasses,
  readQuartiles,
  readRank,
  readTotals,
  totalsStatement,
} from "./store.ts";

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

/** What a cohort's histograms say: quartiles per metric and the class distribution. */
export interface CohortSummary {
  quartiles: Partial<Record<BinnedMetric, Quartiles>>;
  classes?: Record<EnergyClass, number>;
}

/**
 * A per-process (per-isolate on Workers) cache of cohort summaries for `ttlMs` (0 disables): the
 * quartiles and class shares of a cohort move slowly, so within the TTL they come from memory;
 * cohort sizes and percentile ranks are always read fresh. Staleness is bounded by the TTL.
 */
export interface SummaryCache {
  get(key: string, nowMs: number): CohortSummary | undefined;
  set(key: string, summary: CohortSummary, nowMs: number): void;
}

export function createSummaryCache(ttlMs: number, maxEntries = 10_000): SummaryCache {
  const entries = new Map<string, { summary: CohortSummary; expiresAtMs: number }>();
  return {
    get(key, nowMs) {
      const e = entries.get(key);
      if (!e || e.expiresAtMs <= nowMs) return undefined;
      return e.summary;
    },
    set(key, summary, nowMs) {
      if (ttlMs <= 0) return;
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
      entries.set(key, { summary, expiresAtMs: nowMs + ttlMs });
    },
  };
}

export interface BenchmarkOptions {
  cache?: SummaryCache;
  nowMs?: number;
}

interface Need {
  cohort: string;
  metrics: BinnedMetric[];
  classes: boolean;
}

/**
 * The summaries `needs` ask for, from the cache where it has them, else read in one batch together
 * with `fresh` statements (ranks) that are never cached.
 */
async function summaries(
  client: Client,
  scope: string,
  totals: Map<string, CohortTotals>,
  needs: Need[],
  fresh: InStatement[],
  options: BenchmarkOptions,
): Promise<{ summaries: Map<string, CohortSummary>; fresh: ResultSet[] }> {
  const nowMs = options.nowMs ?? Date.now();
  const cacheKey = (cohort: string) => `${scope}\u0000${cohort}`;
  const out = new Map<string, CohortSummary>();
  const histograms: { cohort: string; metric: BinnedMetric; homes: number }[] = [];
  const classCohorts: string[] = [];
  const missed: string[] = [];
  for (const need of needs) {
    const cached = options.cache?.get(cacheKey(need.cohort), nowMs);
    if (
      cached &&
      need.metrics.every((m) => cached.quartiles[m]) &&
      (!need.classes || cached.classes)
    ) {
      out.set(need.cohort, cached);
      continue;
    }
    missed.push(need.cohort);
    const homes = totals.get(need.cohort)?.homes ?? 0;
    for (const metric of need.metrics) histograms.push({ cohort: need.cohort, metric, homes });
    if (need.classes) classCohorts.push(need.cohort);
  }
  const statements = [
    ...(histograms.length ? [quartilesStatement(scope, histograms)] : []),
    ...classCohorts.map((c) => classesStatement(scope, c)),
    ...fresh,
  ];
  const results = statements.length ? await readBatch(client, statements) : [];
  let i = 0;
  if (histograms.length) {
    for (const [cohort, quartiles] of readQuartiles(results[i++]?.rows ?? [])) {
      out.set(cohort, { quartiles });
    }
  }
  for (const cohort of classCohorts) {
    const prev = out.get(cohort) ?? { quartiles: {} };
    out.set(cohort, { ...prev, classes: readClasses(results[i++]?.rows ?? []) });
  }
  for (const cohort of missed) {
    const summary = out.get(cohort);
    if (summary && options.cache) options.cache.set(cacheKey(cohort), summary, nowMs);
  }
  return { summaries: out, fresh: results.slice(i) };
}

const ALL_METRICS: BinnedMetric[] = ["pe", "cost", "co2"];

function statistics(
  cohort: Cohort,
  totals: CohortTotals,
  quartiles: Partial<Record<"pe" | "cost" | "co2", Quartiles>>,
  classes: Record<EnergyClass, number>,
): CohortStatistics {
  const q = (m: "pe" | "cost" | "co2") => quartiles[m] ?? { p25: 0, median: 0, p75: 0 };
  return {
    cohort: describeCohort(cohort),
    homes: totals.homes,
    primaryEnergyKwhM2: { mean: totals.meanPrimaryEnergyKwhM2, ...q("pe") },
    annualCostEur: { mean: totals.meanAnnualCostEur, ...q("cost") },
    co2KgM2: { mean: totals.meanCo2KgM2, ...q("co2") },
    classes: energyClasses.map((c) => ({
      energyClass: c,
      homes: classes[c],
      sharePct: (100 * classes[c]) / totals.homes,
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
  const [totalsResult] = await readBatch(client, [totalsStatement(scope, chain.map(cohortKey))]);
  const totals = readTotals(totalsResult?.rows ?? []);
  const { cohort, sparse } = choose(chain, totals);
  const requested = describeCohort(filter);
  const base = { requested, minHomes: MIN_COHORT_SIZE };
  if (!cohort) return { ...base, fallback: false, statistics: null, note: EMPTY_NOTE };
  const key = cohortKey(cohort);
  const { summaries: read } = await summaries(
    client,
    scope,
    totals,
    [{ cohort: key, metrics: ALL_METRICS, classes: true }],
    [],
    options,
  );
  const own = totals.get(key) as CohortTotals;
  const summary = read.get(key);
  return {
    ...base,
    fallback: key !== cohortKey(storedCohortFor(filter)) || key !== requested.key,
    statistics: statistics(
      cohort,
      own,
      summary?.quartiles ?? {},
      summary?.classes ?? readClasses([]),
    ),
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
  const [totalsResult] = await readBatch(client, [totalsStatement(scope, keys)]);
  const totals = readTotals(totalsResult?.rows ?? []);
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
  const { summaries: read, fresh } = await summaries(
    client,
    scope,
    totals,
    [
      { cohort: key, metrics: ALL_METRICS, classes: true },
      ...medianKeys.map((k) => ({ cohort: k, metrics: ["pe" as const], classes: false })),
    ],
    [
      rankStatement(scope, key, home.primaryEnergyKwhM2),
      ...(packagePe === null ? [] : [rankStatement(scope, key, packagePe)]),
    ],
    options,
  );
  const summary = read.get(key);
  const stats = statistics(
    cohort,
    own,
    summary?.quartiles ?? {},
    summary?.classes ?? readClasses([]),
  );
  const rank = readRank(fresh[0]?.rows[0], own.homes);
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
            lessEnergyThanPct: readRank(fresh[1]?.rows[0], own.homes),
            reachesTopQuarter: packagePe <= p25,
          },
  };
}
