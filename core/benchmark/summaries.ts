/**
 * Cohort summaries: a cohort's quartiles, class counts and primary-energy histogram, read from its
 * bins and kept in memory, so that a benchmark request reads no histogram at all.
 *
 * - Loading a summary reads the cohort's histograms in pages of HISTOGRAM_PAGE bins, one statement at a
 *   time, yielding to the event loop between statements: on the embedded database (synchronous reads
 *   on the main thread) no single read holds the event loop for more than a fraction of a millisecond,
 *   even for the national cohort of a million homes.
 * - A summary remembers the version of the cohort's statistics it was read at (`statsVersion`). While a
 *   request's fresh cohort totals show the same version, the summary is exact, whatever its age, and
 *   percentile ranks come from its cumulative histogram (a binary search). Once the cohort has moved,
 *   ranks are read fresh from the bins instead, and the summary's quartiles and class counts are served
 *   for at most `ttlMs` before a refresh.
 * - Stale-while-revalidate (`createSummaryCache`): a summary older than `ttlMs` whose cohort has moved is
 *   still served while one background refresh per cohort runs; only a cohort never seen (or one whose
 *   summary is older than `maxStaleMs`, which happens only when refreshes fail) waits for a load, and
 *   concurrent requests for it share that load.
 */
import type { Client } from "@libsql/client";
import { type EnergyClass, energyClasses } from "../energy/index.ts";
import { awaitShared, type Shared, shared } from "../runtime/own-timers.ts";
import {
  type BinnedMetric,
  binOf,
  binValue,
  HISTOGRAM_PAGE,
  histogramPageStatement,
  type Quartiles,
  readHistogramPage,
  type ScanSide,
  statsVersion,
  versionStatement,
} from "./store.ts";

export interface CohortSummary {
  /** The cohort_stats version the histograms were read at; undefined if the cohort moved meanwhile. */
  version: string | undefined;
  /** Homes in the primary-energy histogram. */
  homes: number;
  quartiles: Partial<Record<BinnedMetric, Quartiles>>;
  classes: Record<EnergyClass, number>;
  /** Primary-energy bins in ascending order, and the homes in each bin and all bins below it. */
  peBins: Uint16Array;
  peCumulative: Float64Array;
}

const yieldToEventLoop = (): Promise<void> =>
  typeof setImmediate === "function"
    ? new Promise((resolve) => setImmediate(resolve))
    : Promise.resolve();

async function readHistogram(
  client: Client,
  scope: string,
  cohort: string,
  metric: BinnedMetric | "class",
): Promise<{ bins: number[]; homes: number[] }> {
  const bins: number[] = [];
  const homes: number[] = [];
  let after = -1;
  for (;;) {
    const result = await client.execute(histogramPageStatement(scope, cohort, metric, after));
    const { last, count } = readHistogramPage(result.rows[0], bins, homes);
    if (count < HISTOGRAM_PAGE) break;
    after = last;
    await yieldToEventLoop();
  }
  // group_concat keeps the subquery's order in practice; sort in case it did not.
  for (let i = 1; i < bins.length; i++) {
    if ((bins[i] as number) < (bins[i - 1] as number)) {
      const order = bins.map((_, j) => j).sort((a, b) => (bins[a] as number) - (bins[b] as number));
      return {
        bins: order.map((j) => bins[j] as number),
        homes: order.map((j) => homes[j] as number),
      };
    }
  }
  return { bins, homes };
}

function cumulate(homes: readonly number[]): Float64Array {
  const cum = new Float64Array(homes.length);
  let total = 0;
  for (let i = 0; i < homes.length; i++) {
    total += homes[i] as number;
    cum[i] = total;
  }
  return cum;
}

/** The first bin whose running total reaches `share` of all homes, at its value. */
function quantile(
  metric: BinnedMetric,
  bins: ArrayLike<number>,
  cum: Float64Array,
  times: number,
  share: number,
): number {
  const total = cum.length ? (cum[cum.length - 1] as number) : 0;
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cum[mid] as number) * times >= share * total) hi = mid;
    else lo = mid + 1;
  }
  return binValue(metric, bins[lo] as number);
}

function quartilesOf(
  metric: BinnedMetric,
  bins: ArrayLike<number>,
  cum: Float64Array,
): Quartiles | undefined {
  if (cum.length === 0) return undefined;
  return {
    p25: quantile(metric, bins, cum, 4, 1),
    median: quantile(metric, bins, cum, 2, 1),
    p75: quantile(metric, bins, cum, 4, 3),
  };
}

/** Reads a cohort's summary: its four histograms page by page, between two reads of its version. */
export async function loadSummary(
  client: Client,
  scope: string,
  cohort: string,
): Promise<CohortSummary> {
  const before = statsVersion((await client.execute(versionStatement(scope, cohort))).rows[0]);
  const quartiles: Partial<Record<BinnedMetric, Quartiles>> = {};
  const classes = Object.fromEntries(energyClasses.map((c) => [c, 0])) as Record<
    EnergyClass,
    number
  >;
  let peBins = new Uint16Array(0);
  let peCumulative: Float64Array = new Float64Array(0);
  for (const metric of ["pe", "cost", "co2", "class"] as const) {
    await yieldToEventLoop();
    const { bins, homes } = await readHistogram(client, scope, cohort, metric);
    if (metric === "class") {
      bins.forEach((bin, i) => {
        const cls = energyClasses[bin];
        if (cls) classes[cls] = homes[i] as number;
      });
      continue;
    }
    const cum = cumulate(homes);
    const q = quartilesOf(metric, bins, cum);
    if (q) quartiles[metric] = q;
    if (metric === "pe") {
      peBins = Uint16Array.from(bins);
      peCumulative = cum;
    }
  }
  await yieldToEventLoop();
  const after = statsVersion((await client.execute(versionStatement(scope, cohort))).rows[0]);
  return {
    version: before !== undefined && before === after ? before : undefined,
    homes: peCumulative.length ? (peCumulative[peCumulative.length - 1] as number) : 0,
    quartiles,
    classes,
    peBins,
    peCumulative,
  };
}

/**
 * "Uses less energy than X % of similar homes" from a summary's histogram: the share of its homes in
 * higher bins, plus half of those in the value's own bin. Exact to the bin, as the read from the bins.
 */
export function rankFromSummary(summary: CohortSummary, primaryEnergyKwhM2: number): number {
  const { peBins: bins, peCumulative: cum, homes } = summary;
  if (homes <= 0) return 0;
  const bin = binOf("pe", primaryEnergyKwhM2);
  const lo = firstAbove(bins, bin - 1); // the first of the value's bin or above
  const below = lo > 0 ? (cum[lo - 1] as number) : 0;
  const tied = lo < bins.length && bins[lo] === bin ? (cum[lo] as number) - below : 0;
  return (100 * (homes - below - tied + 0.5 * tied)) / homes;
}

/**
 * Which side of the values' bins a fresh rank read (ranksStatement) should scan: the one with fewer of
 * the cohort's bins, as its last summary knows them (the choice only decides the cost: both sides read
 * the same ranks). Without a summary: below, where a cohort's bins are fewer as a rule.
 */
export function scanSide(
  summary: CohortSummary | undefined,
  primaryEnergyKwhM2: readonly number[],
): ScanSide {
  if (!summary || primaryEnergyKwhM2.length === 0) return "below";
  const bins = primaryEnergyKwhM2.map((v) => binOf("pe", v));
  const { peBins } = summary;
  // Bins the scan would cross: below, those up to the highest value's bin; above, from the lowest's.
  const belowCount = firstAbove(peBins, Math.max(...bins));
  const aboveCount = peBins.length - firstAbove(peBins, Math.min(...bins) - 1);
  return aboveCount < belowCount ? "above" : "below";
}

/** The index of the first of the ascending `bins` greater than `bin`. */
function firstAbove(bins: Uint16Array, bin: number): number {
  let lo = 0;
  let hi = bins.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((bins[mid] as number) <= bin) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A per-process (per-isolate on Workers) store of cohort summaries. `get` answers at once from memory
 * whenever it can, and never lets more than one load per key run at a time.
 */
export interface SummaryCache {
  readonly ttlMs: number;
  readonly maxStaleMs: number;
  /**
   * The summary of `key`, given the cohort's current stats `version` (from the request's own totals
   * read) and the time; `load` reads it when needed. A summary (a value, not a promise) is returned
   * when one is held that is exact (same version), younger than `ttlMs`, or younger than `maxStaleMs`
   * (then a background refresh starts unless one is running).
   */
  get(
    key: string,
    version: string | undefined,
    nowMs: number,
    load: () => Promise<CohortSummary>,
  ): CohortSummary | Promise<CohortSummary>;
  /** Resolves once no load or refresh is running (tests; a graceful shutdown may await it). */
  idle(): Promise<void>;
}

export interface SummaryCacheOptions {
  /** Oldest summary served while its refresh runs (default: 4 x ttlMs). */
  maxStaleMs?: number;
  maxEntries?: number;
  /** A refresh running longer than this is considered lost (a Worker cancelled it) and may restart. */
  refreshTimeoutMs?: number;
  /**
   * Workers: a request that finds a load of the same summary running looks for its outcome from
   * timers of its own every `pollMs` (core/runtime/own-timers.ts) instead of awaiting the other
   * request's promise. 0 (default): it awaits the promise.
   */
  pollMs?: number;
}

/**
 * `ttlMs` 0 disables the cache: every request loads the summaries it needs (exact, and slower).
 */
export function createSummaryCache(ttlMs: number, options: SummaryCacheOptions = {}): SummaryCache {
  const maxStaleMs = Math.max(ttlMs, options.maxStaleMs ?? 4 * ttlMs);
  const maxEntries = options.maxEntries ?? 4096;
  const refreshTimeoutMs = options.refreshTimeoutMs ?? 30_000;
  const entries = new Map<
    string,
    { summary: CohortSummary; loadedAtMs: number; retryAtMs: number }
  >();
  const pollMs = options.pollMs ?? 0;
  type Load = Shared<CohortSummary> & { startedAtMs: number };
  const loads = new Map<string, Load>();

  const start = (key: string, nowMs: number, load: () => Promise<CohortSummary>) => {
    const promise = load().then(
      (summary) => {
        entries.delete(key);
        entries.set(key, { summary, loadedAtMs: nowMs, retryAtMs: 0 });
        if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
        return summary;
      },
      (error: unknown) => {
        // A failed refresh keeps the stale summary; the next attempt waits a little.
        const e = entries.get(key);
        if (e) e.retryAtMs = nowMs + Math.min(ttlMs, 1000);
        throw error;
      },
    );
    const running: Load = Object.assign(shared(promise), { startedAtMs: nowMs });
    loads.set(key, running);
    const done = () => {
      if (loads.get(key) === running) loads.delete(key);
    };
    promise.then(done, done);
    return promise;
  };
  /** The running load of `key`, unless it runs longer than `refreshTimeoutMs`. */
  const running = (key: string, nowMs: number): Load | undefined => {
    const r = loads.get(key);
    return r && nowMs - r.startedAtMs < refreshTimeoutMs ? r : undefined;
  };

  return {
    ttlMs,
    maxStaleMs,
    get(key, version, nowMs, load) {
      if (ttlMs <= 0) return load();
      const e = entries.get(key);
      if (e) {
        const age = nowMs - e.loadedAtMs;
        if ((version !== undefined && e.summary.version === version) || age < ttlMs) {
          return e.summary;
        }
        if (age < maxStaleMs) {
          if (!running(key, nowMs) && nowMs >= e.retryAtMs) {
            start(key, nowMs, load).catch(() => {}); // served stale meanwhile; retried later
          }
          return e.summary;
        }
      }
      const other = running(key, nowMs);
      return other ? awaitShared(other, pollMs) : start(key, nowMs, load);
    },
    async idle() {
      while (loads.size > 0) {
        await Promise.allSettled([...loads.values()].map((l) => l.promise));
      }
    },
  };
}
