/**
 * Incremental cohort statistics in libSQL. Storing a home adds it to the histograms and sums of all its
 * cohorts with upserts (`homes = homes + excluded.homes`) that run in the same transaction as the row
 * itself, so statistics and rows never disagree, concurrent writers never lose an increment, and no
 * request ever scans the homes.
 *
 * Resolution: primary energy in 0.5 kWh/m² bins, which bounds the error of a percentile rank to half the
 * share of homes in the home's own bin (ties rank exactly: a tied group splits half above, half below);
 * cost in 10 EUR and CO2 in 0.5 kg/m² bins; quartiles are reported at bin centres.
 */
import type { InStatement } from "@libsql/client";
import { combinable } from "../db/remote-database.ts";
import { type EnergyClass, energyClasses } from "../energy/index.ts";
import { areaBand, cohortKey, cohortsOf } from "./cohort.ts";
import type { HomeFigures } from "./figures.ts";

/** Scope of the shared reference stock; any other scope is a tenant id. */
export const REFERENCE_SCOPE = "reference";

export const binnedMetrics = {
  pe: { width: 0.5, maxBin: 5000, unit: "kWh/m²·yr" },
  cost: { width: 10, maxBin: 5000, unit: "EUR/yr" },
  co2: { width: 0.5, maxBin: 2000, unit: "kg/m²·yr" },
} as const;
export type BinnedMetric = keyof typeof binnedMetrics;

export function binOf(metric: BinnedMetric, value: number): number {
  const { width, maxBin } = binnedMetrics[metric];
  return Math.min(maxBin, Math.max(0, Math.floor(value / width)));
}

/** The value a bin stands for: its centre (the overflow bin: its lower edge). */
export function binValue(metric: BinnedMetric, bin: number): number {
  const { width, maxBin } = binnedMetrics[metric];
  return bin >= maxBin ? maxBin * width : (bin + 0.5) * width;
}

const classIndex = Object.fromEntries(energyClasses.map((c, i) => [c, i])) as Record<
  EnergyClass,
  number
>;

const ROWS_PER_STATEMENT = 400;
/** Metrics in the order of their names, which is the primary key's order of `cohort_bins` rows. */
const metricOrder = ["class", "co2", "cost", "pe"] as const;
const BIN_SPAN = 8192; // > every maxBin: (cohort, metric, bin) packs into one number

/** The keys of the six cohorts a home counts in, computed once per cell of the finest cohorts. */
const cohortKeysByCell = new Map<string, string[]>();
function cohortKeysOf(home: HomeFigures): string[] {
  const cell = `${home.zone}|${home.buildingType}|${home.constructionYear}|${areaBand(home.heatedFloorAreaM2)}`;
  let keys = cohortKeysByCell.get(cell);
  if (!keys) {
    keys = cohortsOf(home).map(cohortKey);
    if (cohortKeysByCell.size < 100_000) cohortKeysByCell.set(cell, keys);
  }
  return keys;
}

/**
 * The upserts that add `homes` to their cohorts' statistics in `scope`; run them in the homes'
 * transaction. Increments are folded per bin first, and rows are written in primary-key order, so a
 * large batch (the seed's) updates each B-tree page once and in sequence instead of at random.
 */
export function statIncrements(
  scope: string,
  homes: readonly HomeFigures[],
  nowMs: number,
): InStatement[] {
  const cohortIds = new Map<string, number>();
  const cohorts: string[] = [];
  const sums: [homes: number, pe: number, cost: number, co2: number][] = []; // per cohort id
  const bins = new Map<number, number>(); // (cohort id, metric, bin) packed -> homes
  const bump = (packed: number) => bins.set(packed, (bins.get(packed) ?? 0) + 1);
  for (const home of homes) {
    const pe = binOf("pe", home.primaryEnergyKwhM2);
    const cost = binOf("cost", home.annualCostEur);
    const co2 = binOf("co2", home.co2KgM2);
    const cls = classIndex[home.energyClass];
    for (const key of cohortKeysOf(home)) {
      let id = cohortIds.get(key);
      if (id === undefined) {
        id = cohorts.length;
        cohortIds.set(key, id);
        cohorts.push(key);
        sums.push([0, 0, 0, 0]);
      }
      const base = id * 4 * BIN_SPAN;
      bump(base + cls);
      bump(base + BIN_SPAN + co2);
      bump(base + 2 * BIN_SPAN + cost);
      bump(base + 3 * BIN_SPAN + pe);
      const s = sums[id] as [number, number, number, number];
      s[0] += 1;
      s[1] += home.primaryEnergyKwhM2;
      s[2] += home.annualCostEur;
      s[3] += home.co2KgM2;
    }
  }
  // Renumber cohorts in key order, so that sorting packed keys sorts rows by (cohort, metric, bin).
  const byKey = cohorts
    .map((_, id) => id)
    .sort((a, b) => {
      const ka = cohorts[a] as string;
      const kb = cohorts[b] as string;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
  const rankOf = new Array<number>(cohorts.length);
  byKey.forEach((id, rank) => {
    rankOf[id] = rank;
  });
  const span = 4 * BIN_SPAN;
  const packed = new Float64Array(bins.size);
  const counts = new Map<number, number>();
  let n = 0;
  for (const [k, homesInBin] of bins) {
    const id = Math.floor(k / span);
    const sorted = (rankOf[id] as number) * span + (k - id * span);
    packed[n++] = sorted;
    counts.set(sorted, homesInBin);
  }
  packed.sort();
  /** The row a sorted packed key stands for. */
  const binRow = (k: number): BinRow => {
    const rank = Math.floor(k / span);
    const rest = k - rank * span;
    const metric = Math.floor(rest / BIN_SPAN);
    return [
      cohorts[byKey[rank] as number] as string,
      metricOrder[metric] as string,
      rest - metric * BIN_SPAN,
      counts.get(k) as number,
    ];
  };
  const statements: InStatement[] = [];
  // A request's few dozen bins: one JSON text instead of five arguments a row (see binsFromJson).
  const small = packed.length <= JSON_ROWS_MAX;
  if (small) {
    if (packed.length > 0) statements.push(binsStatement(scope, Array.from(packed, binRow)));
  } else {
    for (let i = 0; i < packed.length; i += ROWS_PER_STATEMENT) {
      const end = Math.min(packed.length, i + ROWS_PER_STATEMENT);
      const args: (string | number)[] = [];
      for (let j = i; j < end; j++) args.push(scope, ...binRow(packed[j] as number));
      statements.push({
        sql: `insert into cohort_bins (scope, cohort, metric, bin, homes) values ${valuesList(end - i, 5)}
          on conflict (scope, cohort, metric, bin) do update set homes = homes + excluded.homes`,
        args,
      });
    }
  }
  for (let i = 0; i < byKey.length; i += ROWS_PER_STATEMENT) {
    const rows: StatsRow[] = [];
    for (let j = i; j < Math.min(byKey.length, i + ROWS_PER_STATEMENT); j++) {
      const id = byKey[j] as number;
      const [n, pe, cost, co2] = sums[id] as [number, number, number, number];
      rows.push([cohorts[id] as string, n, pe, cost, co2, nowMs]);
    }
    statements.push(small ? statsStatement(scope, rows) : statsUpsert(scope, rows));
  }
  return statements;
}

type BinRow = [cohort: string, metric: string, bin: number, homes: number];
type StatsRow = [
  cohort: string,
  homes: number,
  pe: number,
  cost: number,
  co2: number,
  atMs: number,
];

/**
 * A request's bin increments as one JSON argument, combinable with other requests' increments of the
 * same scope in a libSQL server's write group (core/db/remote-database.ts): folded per bin and in
 * primary-key order, one statement per group.
 */
function binsStatement(scope: string, rows: BinRow[]): InStatement {
  return combinable(
    { sql: binsFromJson, args: [scope, JSON.stringify(rows)] },
    {
      key: `cohort_bins\u0000${scope}`,
      part: rows,
      combine: (parts) => {
        const folded = new Map<string, BinRow>();
        for (const part of parts)
          for (const [cohort, metric, bin, homes] of part) {
            const key = `${cohort}\u0000${metric}\u0000${bin}`;
            const row = folded.get(key);
            if (row) row[3] += homes;
            else folded.set(key, [cohort, metric, bin, homes]);
          }
        const merged = [...folded.values()].sort((a, b) =>
          a[0] !== b[0]
            ? a[0] < b[0]
              ? -1
              : 1
            : a[1] !== b[1]
              ? a[1] < b[1]
                ? -1
                : 1
              : a[2] - b[2],
        );
        return binsStatement(scope, merged);
      },
    },
  );
}

function statsUpsert(scope: string, rows: StatsRow[]): InStatement {
  const args: (string | number)[] = [];
  for (const row of rows) args.push(scope, ...row);
  return {
    sql: `insert into cohort_stats (scope, cohort, homes, sum_pe, sum_cost, sum_co2, updated_at_ms) values ${valuesList(rows.length, 7)}
        on conflict (scope, cohort) do update set homes = homes + excluded.homes,
          sum_pe = sum_pe + excluded.sum_pe, sum_cost = sum_cost + excluded.sum_cost,
          sum_co2 = sum_co2 + excluded.sum_co2, updated_at_ms = max(updated_at_ms, excluded.updated_at_ms)`,
    args,
  };
}

/** A request's cohort totals, combinable like its bins (sums added, the latest time kept). */
function statsStatement(scope: string, rows: StatsRow[]): InStatement {
  return combinable(statsUpsert(scope, rows), {
    key: `cohort_stats\u0000${scope}`,
    part: rows,
    combine: (parts) => {
      const folded = new Map<string, StatsRow>();
      for (const part of parts)
        for (const [cohort, homes, pe, cost, co2, atMs] of part) {
          const row = folded.get(cohort);
          if (!row) {
            folded.set(cohort, [cohort, homes, pe, cost, co2, atMs]);
            continue;
          }
          row[1] += homes;
          row[2] += pe;
          row[3] += cost;
          row[4] += co2;
          row[5] = Math.max(row[5], atMs);
        }
      const merged = [...folded.values()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      // A group holds at most a few hundred writes (maxGroupStatements): far below SQLite's limit of
      // 32,766 arguments a statement.
      return statsUpsert(scope, merged);
    },
  });
}

/**
 * Up to this many bin rows go as one JSON text (`[[cohort, metric, bin, homes], ...]`, all strings and
 * integers, so exact) read by `json_each`: what one stored assessment adds (24 rows) costs two
 * arguments instead of 120, which against a libSQL server is what its protocol encodes, sends and
 * decodes per request. Larger sets (the seed's) keep bound arguments, which SQLite binds faster than it
 * parses JSON.
 */
const JSON_ROWS_MAX = 64;
const binsFromJson = `insert into cohort_bins (scope, cohort, metric, bin, homes)
  select ?1, value ->> 0, value ->> 1, value ->> 2, value ->> 3 from json_each(?2) where true
  on conflict (scope, cohort, metric, bin) do update set homes = homes + excluded.homes`;

const valuesLists = new Map<string, string>();
/** `(?, ?), (?, ?)` for `rows` rows of `columns` values (memoised: the same texts recur). */
function valuesList(rows: number, columns: number): string {
  const key = `${rows}x${columns}`;
  let list = valuesLists.get(key);
  if (list === undefined) {
    const row = `(${Array(columns).fill("?").join(", ")})`;
    list = Array(rows).fill(row).join(", ");
    valuesLists.set(key, list);
  }
  return list;
}

export interface CohortTotals {
  homes: number;
  meanPrimaryEnergyKwhM2: number;
  meanAnnualCostEur: number;
  meanCo2KgM2: number;
  updatedAtMs: number;
  /** See statsVersion. */
  version: string;
}

export const totalsStatement = (scope: string, keys: readonly string[]): InStatement => ({
  sql: `select cohort, homes, sum_pe, sum_cost, sum_co2, updated_at_ms from cohort_stats
    where scope = ? and cohort in (${keys.map(() => "?").join(", ")})`,
  args: [scope, ...keys],
});

export function readTotals(rows: readonly Record<string, unknown>[]): Map<string, CohortTotals> {
  const totals = new Map<string, CohortTotals>();
  for (const r of rows) {
    const homes = Number(r.homes);
    if (homes <= 0) continue;
    totals.set(String(r.cohort), {
      homes,
      meanPrimaryEnergyKwhM2: Number(r.sum_pe) / homes,
      meanAnnualCostEur: Number(r.sum_cost) / homes,
      meanCo2KgM2: Number(r.sum_co2) / homes,
      updatedAtMs: Number(r.updated_at_ms),
      version: statsVersion(r) as string,
    });
  }
  return totals;
}

export interface Quartiles {
  p25: number;
  median: number;
  p75: number;
}

/** Bins read per statement when loading a histogram: each read stays well under a millisecond. */
export const HISTOGRAM_PAGE = 1024;

/**
 * Up to HISTOGRAM_PAGE bins of a histogram above `afterBin`, as one `bin:homes,bin:homes` string (an
 * index-ordered range read on the primary key; one string instead of a row per bin keeps it cheap).
 */
export const histogramPageStatement = (
  scope: string,
  cohort: string,
  metric: BinnedMetric | "class",
  afterBin: number,
): InStatement => ({
  sql: `select group_concat(bin || ':' || homes) as page, count(*) as bins from (
      select bin, homes from cohort_bins where scope = ? and cohort = ? and metric = ? and bin > ?
      order by bin limit ?)`,
  args: [scope, cohort, metric, afterBin, HISTOGRAM_PAGE],
});

/** Appends a page to `bins`/`homes`; returns the highest bin it held (-1 when empty). */
export function readHistogramPage(
  row: Record<string, unknown> | undefined,
  bins: number[],
  homes: number[],
): { last: number; count: number } {
  const page = row?.page;
  if (typeof page !== "string" || page === "") return { last: -1, count: 0 };
  let last = -1;
  for (const pair of page.split(",")) {
    const sep = pair.indexOf(":");
    const bin = Number(pair.slice(0, sep));
    bins.push(bin);
    homes.push(Number(pair.slice(sep + 1)));
    if (bin > last) last = bin;
  }
  return { last, count: Number(row?.bins ?? 0) };
}

/** A cohort's row in cohort_stats, for the version a histogram snapshot was read at. */
export const versionStatement = (scope: string, cohort: string): InStatement => ({
  sql: "select homes, sum_pe, updated_at_ms from cohort_stats where scope = ? and cohort = ?",
  args: [scope, cohort],
});

/**
 * What identifies a state of a cohort's statistics: every write adds at least one home to each cohort
 * it touches (and moves its sums and time), in the same transaction as its bins, so equal versions mean
 * equal histograms.
 */
export const statsVersion = (row: Record<string, unknown> | undefined): string | undefined =>
  row ? `${Number(row.homes)}/${Number(row.sum_pe)}/${Number(row.updated_at_ms)}` : undefined;

/** Which way a rank read scans a cohort's primary-energy bins from the values' bins. */
export type ScanSide = "below" | "above";

/**
 * The percentile ranks of primary-energy values in a cohort as it is now, in one statement: for each
 * value the homes in its bin and the homes on one side of it, with the cohort's homes from its totals
 * (one read, so one consistent state). The scan runs from the values' bins down (`below`: from the
 * lowest bin up to the highest value's bin) or up (`above`: from the lowest value's bin to the top),
 * whichever crosses fewer bins (see scanSide in summaries.ts): a typical home sits low in its cohort's
 * range, whose long tail of high-energy bins reaches the overflow bin.
 */
export function ranksStatement(
  scope: string,
  cohort: string,
  primaryEnergyKwhM2: readonly number[],
  side: ScanSide,
): InStatement {
  const bins = primaryEnergyKwhM2.map((v) => binOf("pe", v));
  const beyond = side === "below" ? "<" : ">";
  const columns = bins
    .map(
      (_, i) => `coalesce(sum(case when bin ${beyond} ? then homes end), 0) as beyond${i},
        coalesce(sum(case when bin = ? then homes end), 0) as tied${i}`,
    )
    .join(",\n        ");
  return {
    sql: `select (select homes from cohort_stats where scope = ? and cohort = ?) as homes,
        ${columns}
      from cohort_bins where scope = ? and cohort = ? and metric = 'pe' and bin ${beyond}= ?`,
    args: [
      scope,
      cohort,
      ...bins.flatMap((bin) => [bin, bin]),
      scope,
      cohort,
      side === "below" ? Math.max(...bins) : Math.min(...bins),
    ],
  };
}

/**
 * "Uses less energy than X % of similar homes", for each value of a ranksStatement: the share of the
 * cohort with more primary energy, the value's own bin split half and half. 0 for an empty cohort.
 */
export function readRanks(
  row: Record<string, unknown> | undefined,
  count: number,
  side: ScanSide,
): number[] {
  const homes = Number(row?.homes ?? 0);
  if (!row || !(homes > 0)) return new Array<number>(count).fill(0);
  const ranks: number[] = [];
  for (let i = 0; i < count; i++) {
    const beyond = Number(row[`beyond${i}`]);
    const tied = Number(row[`tied${i}`]);
    const above = side === "above" ? beyond : homes - beyond - tied;
    ranks.push((100 * (above + 0.5 * tied)) / homes);
  }
  return ranks;
}
