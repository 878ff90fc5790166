/**
 * The fresh percentile-rank read of a benchmark whose cohort moved since its summary was loaded, timed
 * over a scope's largest cohorts: the scan up from the home's bin (how ranks were read before
 * 2026-12-07) against the side `scanSide` picks (fewer of the cohort's bins). The home is put at its
 * cohort's 10th percentile and median, its recommended package at a third of that.
 */
import type { Client, InStatement } from "@libsql/client";
import { binValue, ranksStatement, readRanks } from "../../core/benchmark/store.ts";
import { loadSummary, scanSide } from "../../core/benchmark/summaries.ts";

export const RANK_READS = 200;
const COHORTS = 6;

async function timed(client: Client, statement: InStatement) {
  for (let i = 0; i < 20; i++) await client.execute(statement);
  const started = process.hrtime.bigint();
  let row: Record<string, unknown> | undefined;
  for (let i = 0; i < RANK_READS; i++) row = (await client.execute(statement)).rows[0];
  return { us: Number(process.hrtime.bigint() - started) / RANK_READS / 1000, row };
}

export async function rankReads(client: Client, scope: string) {
  const largest = await client.execute({
    sql: `select cohort, count(*) as bins from cohort_bins where scope = ? and metric = 'pe'
      group by cohort order by sum(homes) desc limit ${COHORTS}`,
    args: [scope],
  });
  const rows: Record<string, string | number>[] = [];
  for (const r of largest.rows) {
    const cohort = String(r.cohort);
    const summary = await loadSummary(client, scope, cohort);
    for (const [at, share] of [
      ["p10", 0.1],
      ["median", 0.5],
    ] as const) {
      const i = summary.peCumulative.findIndex((n) => n >= share * summary.homes);
      const pe = binValue("pe", summary.peBins[Math.max(0, i)] ?? 0);
      const values = [pe, pe / 3];
      const side = scanSide(summary, values);
      const up = await timed(client, ranksStatement(scope, cohort, values, "above"));
      const chosen = await timed(client, ranksStatement(scope, cohort, values, side));
      const chosenRanks = readRanks(chosen.row, 2, side);
      const same = readRanks(up.row, 2, "above").every(
        (rank, k) => Math.abs(rank - (chosenRanks[k] as number)) < 1e-9,
      );
      rows.push({
        cohort,
        "pe bins": Number(r.bins),
        homes: summary.homes,
        home: `${at} ${pe} kWh/m²`,
        "scan up µs": Number(up.us.toFixed(1)),
        side,
        "chosen side µs": Number(chosen.us.toFixed(1)),
        "up / chosen": Number((up.us / chosen.us).toFixed(2)),
        "same ranks": same ? "yes" : "NO",
      });
    }
  }
  return rows;
}
