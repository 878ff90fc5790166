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
import type { Client, InStatement } from "@libsql/client";
import { type EnergyClass, energyClasses } from "../energy/index.ts";
import { cohortKey, cohortsOf } from "./cohort.ts";
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

/** The upserts that add `homes` to their cohorts' statistics in `scope`; run them in the home's transaction. */
export function statIncrements(
  scope: string,
  homes: readonly HomeFigures[],
  nowMs: number,
): InStatement[] {
  const bins = new Map<string, number>();
  const sums = new Map<string, [number, number, number, number]>();
  for (const home of homes) {
    const homeBins = [
      `pe\u0000${binOf("pe", home.primaryEnergyKwhM2)}`,
      `cost\u0000${binOf("cost", home.annualCostEur)}`,
      `co2\u0000${binOf("co2", home.co2KgM2)}`,
      `class\u0000${classIndex[home.energyClass]}`,
    ];
    for (const cohort of cohortsOf(home)) {
      const key = cohortKey(cohort);
      for (const b of homeBins) {
        const k = `${key}\u0000${b}`;
        bins.set(k, (bins.get(k) ?? 0) + 1);
      }
      const s = sums.get(key) ?? [0, 0, 0, 0];
      s[0] += 1;
      s[1] += home.primaryEnergyKwhM2;
      s[2] += home.annualCostEur;
      s[3] += home.co2KgM2;
      sums.set(key, s);
    }
  }
  const statements: InStatement[] = [];
  const binRows = [...bins].map(([k, n]) => {
    const [cohort, metric, bin] = k.split("\u0000") as [string, string, string];
    return [scope, cohort, metric, Number(bin), n];
  });
  for (let i = 0; i < binRows.length; i += ROWS_PER_STATEMENT) {
    const chunk = binRows.slice(i, i + ROWS_PER_STATEMENT);
    statements.push({
      sql: `insert into cohort_bins (scope, cohort, metric, bin, homes) values ${chunk.map(() => "(?, ?, ?, ?, ?)").join(", ")}
        on conflict (scope, cohort, metric, bin) do update set homes = homes + excluded.homes`,
      args: chunk.flat(),
    });
  }
  const statRows = [...sums].map(([cohort, s]) => [scope, cohort, ...s, nowMs]);
  for (let i = 0; i < statRows.length; i += ROWS_PER_STATEMENT) {
    const chunk = statRows.slice(i, i + ROWS_PER_STATEMENT);
    statements.push({
      sql: `insert into cohort_stats (scope, cohort, homes, sum_pe, sum_cost, sum_co2, updated_at_ms) values ${chunk.map(() => "(?, ?, ?, ?, ?, ?, ?)").join(", ")}
        on conflict (scope, cohort) do update set homes = homes + excluded.homes,
          sum_pe = sum_pe + excluded.sum_pe, sum_cost = sum_cost + excluded.sum_cost,
          sum_co2 = sum_co2 + excluded.sum_co2, updated_at_ms = max(updated_at_ms, excluded.updated_at_ms)`,
      args: chunk.flat(),
    });
  }
  return statements;
}

export interface CohortTotals {
  homes: number;
  meanPrimaryEnergyKwhM2: number;
  meanAnnualCostEur: number;
  meanCo2KgM2: number;
  updatedAtMs: number;
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
    });
  }
  return totals;
}

export interface Quartiles {
  p25: number;
  median: number;
  p75: number;
}

/**
 * Quartiles of the given histograms, in one statement. Each quantile is the first bin whose running
 * sum (over bins read in primary-key order: an equality on scope, cohort and metric) reaches its share
 * of the cohort's homes, so a read stops at the quantile instead of walking the whole histogram, and
 * costs the same with a thousand homes or millions.
 */
export function quartilesStatement(
  scope: string,
  histograms: readonly { cohort: string; metric: BinnedMetric; homes: number }[],
): InStatement {
  const quantiles: [string, number, number][] = [
    ["q1", 4, 1],
    ["q2", 2, 1],
    ["q3", 4, 3],
  ];
  const one = `select ? as cohort, ? as metric, ? as q, (select bin from (
      select bin, sum(homes) over (order by bin rows unbounded preceding) as cum
      from cohort_bins where scope = ? and cohort = ? and metric = ?) where cum * ? >= ? limit 1) as bin`;
  const args = histograms.flatMap(({ cohort, metric, homes }) =>
    quantiles.flatMap(([q, times, share]) => [
      cohort,
      metric,
      q,
      scope,
      cohort,
      metric,
      times,
      share * homes,
    ]),
  );
  return {
    sql: histograms.flatMap(() => quantiles.map(() => one)).join("\nunion all\n"),
    args,
  };
}

export function readQuartiles(
  rows: readonly Record<string, unknown>[],
): Map<string, Partial<Record<BinnedMetric, Quartiles>>> {
  const out = new Map<string, Partial<Record<BinnedMetric, Quartiles>>>();
  const names = { q1: "p25", q2: "median", q3: "p75" } as const;
  for (const r of rows) {
    if (r.bin === null) continue; // an empty histogram
    const metric = String(r.metric) as BinnedMetric;
    const entry = out.get(String(r.cohort)) ?? {};
    const q = entry[metric] ?? { p25: 0, median: 0, p75: 0 };
    entry[metric] = q;
    q[names[String(r.q) as keyof typeof names]] = binValue(metric, Number(r.bin));
    out.set(String(r.cohort), entry);
  }
  return out;
}

export const classesStatement = (scope: string, cohort: string): InStatement => ({
  sql: "select bin, homes from cohort_bins where scope = ? and cohort = ? and metric = 'class'",
  args: [scope, cohort],
});

export function readClasses(rows: readonly Record<string, unknown>[]): Record<EnergyClass, number> {
  const counts = Object.fromEntries(energyClasses.map((c) => [c, 0])) as Record<
    EnergyClass,
    number
  >;
  for (const r of rows) {
    const cls = energyClasses[Number(r.bin)];
    if (cls) counts[cls] = Number(r.homes);
  }
  return counts;
}

/** Homes above and in the bin of a primary-energy value (a range scan from that bin up). */
export function rankStatement(
  scope: string,
  cohort: string,
  primaryEnergyKwhM2: number,
): InStatement {
  const bin = binOf("pe", primaryEnergyKwhM2);
  return {
    sql: `select coalesce(sum(case when bin > ? then homes end), 0) as above,
        coalesce(sum(case when bin = ? then homes end), 0) as tied
      from cohort_bins where scope = ? and cohort = ? and metric = 'pe' and bin >= ?`,
    args: [bin, bin, scope, cohort, bin],
  };
}

/**
 * "Uses less energy than X % of similar homes": the share of the cohort with more primary energy, the
 * home's own bin split half and half.
 */
export function readRank(row: Record<string, unknown> | undefined, cohortHomes: number): number {
  if (!row || cohortHomes <= 0) return 0;
  return (100 * (Number(row.above) + 0.5 * Number(row.tied))) / cohortHomes;
}

/** Runs read statements in one round trip (one HTTP request against a libSQL server). */
export async function readBatch(client: Client, statements: InStatement[]) {
  return client.batch(statements, "read");
}
