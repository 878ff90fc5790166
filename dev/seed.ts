/**
 * `npm run seed -- --count N [--seed S] [--workers W] [--transaction T] [--reset]`: fills the shared reference stock
 * with N synthetic homes (core/benchmark/stock.ts), each run through the real engine in worker threads,
 * stored in `stock_homes` with its cohort statistics in the same transaction per chunk, with progress.
 * At the end it prints the class shares and mean primary energy it produced next to the published Greek
 * figures the mixture is calibrated to. SYNTHETIC: no real home is described.
 */
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import type { InStatement } from "@libsql/client";
import { REFERENCE_SCOPE, statIncrements } from "../core/benchmark/store.ts";
import { libsqlClient } from "../core/db/database.ts";
import { applyMigrations } from "../core/db/migrate.node.ts";
import { databaseFileBytes, openDatabase } from "../core/db/open.node.ts";
import { ENGINE_VERSION, energyClasses } from "../core/energy/index.ts";
import { redactUrlCredentials } from "../core/observability/logger.ts";
import { loadStackConfig } from "./config.ts";
import type { SeededHome } from "./seed/generate.ts";
import type { SeedJob } from "./seed/worker.ts";

const { values: args } = parseArgs({
  options: {
    count: { type: "string", default: "100000" },
    seed: { type: "string", default: "1" },
    workers: { type: "string" },
    chunk: { type: "string", default: "1000" },
    transaction: { type: "string", default: "20000" },
    reset: { type: "boolean", default: false },
  },
});
const positive = (name: string, v: string | undefined, max: number) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    console.error(`seed: --${name} must be an integer from 1 to ${max} (got ${v})`);
    process.exit(2);
  }
  return n;
};
const count = positive("count", args.count, 100_000_000);
const seed = positive("seed", args.seed, 2 ** 31);
const chunk = positive("chunk", args.chunk, 100_000);
const transaction = positive("transaction", args.transaction, 1_000_000);
const workers = positive(
  "workers",
  args.workers ?? String(Math.max(1, availableParallelism())),
  64,
);

const config = loadStackConfig(process.env);
const { db, close } = await openDatabase({
  url: config.DATABASE_URL,
  authToken: config.DATABASE_AUTH_TOKEN,
});
await applyMigrations(db);
const client = libsqlClient(db);
if (args.reset) {
  await client.batch(
    [
      "delete from stock_homes",
      { sql: "delete from cohort_bins where scope = ?", args: [REFERENCE_SCOPE] },
      { sql: "delete from cohort_stats where scope = ?", args: [REFERENCE_SCOPE] },
    ],
    "write",
  );
}

const run = `s${seed}x${Date.now().toString(36)}`;
const now = new Date().toISOString();
const COLUMNS = 16;
const IN_FLIGHT = Math.min(8, Math.max(2, Math.ceil(transaction / chunk / workers)));
const ROWS_PER_INSERT = 200;

function writeStatements(homes: SeededHome[], nowMs: number): InStatement[] {
  const statements: InStatement[] = [];
  for (let i = 0; i < homes.length; i += ROWS_PER_INSERT) {
    const part = homes.slice(i, i + ROWS_PER_INSERT);
    statements.push({
      sql: `insert into stock_homes (id, seed_run, created_at_ms, engine_version, input, climate_zone,
          building_type, construction_year, heated_floor_area_m2, primary_energy_kwh_m2, energy_class,
          ratio, annual_cost_eur, co2_kg_m2, package_primary_energy_kwh_m2, package_energy_class)
        values ${part.map(() => `(${Array(COLUMNS).fill("?").join(", ")})`).join(", ")}`,
      args: part.flatMap((h) => [
        // Zero-padded: ids of a run sort in insertion order, so the primary-key index only appends.
        `stk_${run}_${String(h.index).padStart(9, "0")}`,
        run,
        nowMs,
        ENGINE_VERSION,
        h.input,
        h.zone,
        h.buildingType,
        h.constructionYear,
        h.heatedFloorAreaM2,
        h.primaryEnergyKwhM2,
        h.energyClass,
        h.ratio,
        h.annualCostEur,
        h.co2KgM2,
        h.packagePrimaryEnergyKwhM2,
        h.packageEnergyClass,
      ]),
    });
  }
  return [...statements, ...statIncrements(REFERENCE_SCOPE, homes, nowMs)];
}

console.error(
  `seed: ${count.toLocaleString("en")} synthetic homes (seed ${seed}, ${workers} worker threads) into ${redactUrlCredentials(config.DATABASE_URL)}`,
);
const started = performance.now();
let next = 0;
let stored = 0;
let writing = Promise.resolve();
const tty = process.stderr.isTTY;
const progress = setInterval(() => {
  const s = (performance.now() - started) / 1000;
  const line = `seed: ${stored.toLocaleString("en")} / ${count.toLocaleString("en")} homes, ${Math.round(stored / s).toLocaleString("en")}/s`;
  process.stderr.write(tty ? `\r${line}   ` : `${line}\n`);
}, 1000);

await new Promise<void>((resolve, reject) => {
  let active = 0;
  const pending: SeededHome[] = [];
  const pool = Array.from(
    { length: workers },
    () => new Worker(new URL("./seed/worker.ts", import.meta.url)),
  );
  const dispatch = (w: Worker) => {
    if (next >= count) return false;
    const job: SeedJob = { seed, start: next, count: Math.min(chunk, count - next), now };
    next += job.count;
    active++;
    w.postMessage(job);
    return true;
  };
  for (const w of pool) {
    w.on("error", reject);
    w.on("message", ({ homes }: { homes: SeededHome[] }) => {
      active--;
      dispatch(w);
      pending.push(...homes);
      const last = active === 0 && next >= count;
      if (pending.length >= transaction || last) {
        // Writes are serialised: one transaction per `transaction` homes, rows and their statistics
        // together (larger transactions fold the statistics of more homes into each bin update).
        const batch = pending.splice(0);
        writing = writing.then(async () => {
          await client.batch(writeStatements(batch, Date.now()), "write");
          stored += batch.length;
        });
        writing.catch(reject);
      }
      if (last) writing.then(() => resolve(), reject);
    });
    // Chunks in flight per worker: enough work queued to cover the writer's transaction (the main
    // thread does not dispatch while it commits one), so workers never wait for it.
    for (let i = 0; i < IN_FLIGHT; i++) dispatch(w);
  }
}).finally(async () => {
  clearInterval(progress);
});
const seconds = (performance.now() - started) / 1000;
if (tty) process.stderr.write("\n");

// What the stock looks like now, read back from the statistics the seed maintained.
const totals = await client.execute({
  sql: "select cohort, homes, sum_pe from cohort_stats where scope = ? and cohort in ('*', 't=detached_house', 't=apartment', 't=apartment_block')",
  args: [REFERENCE_SCOPE],
});
const classes = await client.execute({
  sql: "select bin, homes from cohort_bins where scope = ? and cohort = '*' and metric = 'class'",
  args: [REFERENCE_SCOPE],
});
const byCohort = new Map(totals.rows.map((r) => [String(r.cohort), r]));
const all = Number(byCohort.get("*")?.homes ?? 0);
const share = (names: string[]) => {
  let n = 0;
  for (const r of classes.rows) {
    if (names.includes(energyClasses[Number(r.bin)] as string)) n += Number(r.homes);
  }
  return ((100 * n) / all).toFixed(1);
};
const mean = (k: string) => {
  const r = byCohort.get(k);
  return r ? (Number(r.sum_pe) / Number(r.homes)).toFixed(0) : "-";
};
const bytes = databaseFileBytes(config.DATABASE_URL);
const size = bytes === undefined ? "" : `, database ${(bytes / 2 ** 20).toFixed(0)} MiB`;
console.log(
  `seed: stored ${count.toLocaleString("en")} homes in ${seconds.toFixed(1)} s (${Math.round(count / seconds).toLocaleString("en")} homes/s)${size}; reference stock now ${all.toLocaleString("en")} homes`,
);
console.table({
  "classes E-H %": { produced: share(["E", "Z", "H"]), published: "65 (EnergyHub for All)" },
  "classes C-D %": { produced: share(["C", "D"]), published: "32" },
  "classes A-B %": { produced: share(["A+", "A", "B+", "B"]), published: "3" },
  "mean EP detached houses kWh/m²": {
    produced: mean("t=detached_house"),
    published: "415 (YPEN 2011-2019)",
  },
  "mean EP apartments kWh/m²": { produced: mean("t=apartment"), published: "265 (YPEN 2011-2019)" },
  "mean EP apartment blocks kWh/m²": { produced: mean("t=apartment_block"), published: "-" },
});
close();
process.exit(0);
