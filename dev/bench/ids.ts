/**
 * `npm run bench:ids -- [--rows N] [--requests N] [--rounds N]`: what an assessment's id costs its
 * write. A fresh embedded file per run (WAL checkpoints on their thread, as the API runs) holds `rows`
 * stored assessments; then `requests` more are written 16 at a time through the embedded client's
 * group commit (one transaction, a savepoint per row), with random ids (`newId`) or time-ordered ones
 * (`newTimeOrderedId`, what `POST /v1/assessments` uses), alternating `rounds` times. Printed per run:
 * rows/s, the event loop's time and the process's CPU per row; then time-ordered over random,
 * medians of the rounds. The rows are real: one assessment's columns, stored body and list item.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { InStatement } from "@libsql/client";
import { prepareForStorageSync } from "../../api/routes/assessments/prepare.ts";
import { newId, newTimeOrderedId } from "../../core/auth/ids.ts";
import { libsqlClient } from "../../core/db/database.ts";
import { createTenantWithAdminKey } from "../../core/tenants/tenants.service.ts";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { positiveIntegers } from "./args.ts";
import { athensApartment } from "./home.ts";
import { median } from "./stats.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "200000" },
    requests: { type: "string", default: "8000" },
    rounds: { type: "string", default: "2" },
  },
});
const counts = positiveIntegers(values);

const prepared = prepareForStorageSync({
  input: athensApartment as never,
  prices: {},
  id: "asm_bench",
  nowMs: Date.now(),
  uncertainty: false,
});
const c = prepared.columns;
const insertSql = `insert into assessments (id, tenant_id, created_at_ms, engine_version, input, body,
  climate_zone, building_type, construction_year, heated_floor_area_m2, primary_energy_kwh_m2,
  energy_class, ratio, annual_cost_eur, co2_kg_m2, package_primary_energy_kwh_m2,
  package_energy_class, package_id, package_investment_eur, package_subsidy_eur,
  package_saved_eur_per_year, package_payback_years, list_item)
  values (${Array(23).fill("?").join(", ")})`;
const inputText = JSON.stringify({ location: { prefecture: "Attica" } });
const body = Buffer.from(prepared.body);

const kinds = {
  random: () => newId("asm"),
  "time-ordered": () => newTimeOrderedId("asm", Date.now()),
} as const;
type Kind = keyof typeof kinds;

const row = (tenantId: string, id: string): InStatement => ({
  sql: insertSql,
  args: [
    id,
    tenantId,
    Date.now(),
    c.engineVersion,
    inputText,
    body,
    c.climateZone,
    c.buildingType,
    c.constructionYear,
    c.heatedFloorAreaM2,
    c.primaryEnergyKwhM2,
    c.energyClass,
    c.ratio,
    c.annualCostEur,
    c.co2KgM2,
    c.packagePrimaryEnergyKwhM2,
    c.packageEnergyClass,
    c.packageId,
    c.packageInvestmentEur,
    c.packageSubsidyEur,
    c.packageSavedEurPerYear,
    c.packagePaybackYears,
    prepared.listItem,
  ],
});

interface Run {
  rowsPerS: number;
  loopUs: number;
  cpuUs: number;
}

async function run(kind: Kind): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), "gridpulse-ids-"));
  const { db, close } = await openDatabase({
    url: `file:${join(dir, "ids.db")}`,
    checkpointIntervalMs: 250,
  });
  try {
    await applyMigrations(db);
    const { tenantId } = await createTenantWithAdminKey(db, { name: "bench", nowMs: Date.now() });
    const client = libsqlClient(db);
    const id = kinds[kind];
    for (let i = 0; i < counts.rows; i += 1000)
      await client.batch(
        Array.from({ length: Math.min(1000, counts.rows - i) }, () => row(tenantId, id())),
        "write",
      );
    const elu = performance.eventLoopUtilization();
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < counts.requests; i += 16)
      await Promise.all(
        Array.from({ length: 16 }, () => client.batch([row(tenantId, id())], "write")),
      );
    const wallMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const loop = performance.eventLoopUtilization(elu);
    return {
      rowsPerS: (counts.requests / wallMs) * 1000,
      loopUs: (loop.active * 1000) / counts.requests,
      cpuUs: (used.user + used.system) / counts.requests,
    };
  } finally {
    close();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(
  `${counts.requests} stored assessments written 16 at a time over ${counts.rows} already stored`,
);
console.log("| ids | rows/s | event loop µs/row | CPU µs/row |");
console.log("| --- | --- | --- | --- |");
const results: Record<Kind, Run[]> = { random: [], "time-ordered": [] };
for (let round = 0; round < counts.rounds; round++)
  for (const kind of Object.keys(kinds) as Kind[]) {
    const r = await run(kind);
    results[kind].push(r);
    console.log(
      `| ${kind} | ${r.rowsPerS.toFixed(0)} | ${r.loopUs.toFixed(1)} | ${r.cpuUs.toFixed(1)} |`,
    );
  }
const ratio = (pick: (r: Run) => number) =>
  median(results["time-ordered"].map(pick)) / median(results.random.map(pick));
console.log(
  `time-ordered / random (medians): rows/s ${ratio((r) => r.rowsPerS).toFixed(2)}x, event loop µs/row ${ratio((r) => r.loopUs).toFixed(2)}x, CPU µs/row ${ratio((r) => r.cpuUs).toFixed(2)}x`,
);
