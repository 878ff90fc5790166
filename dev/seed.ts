/**
 * `npm run seed -- --count N [--seed S] [--workers W] [--transaction T] [--reset]`: fills the shared reference stock
 * with N synthetic homes (core/benchmark/stock.ts), each run through the real engine in worker threads,
 * stored in `stock_homes` with its cohort statistics in the same transaction per chunk, with progress.
 * At the end it prints the class shares and mean primary energy it produced next to the published Greek
 * figures the mixture is calibrated to. SYNTHETIC: no real home is described.
 */
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { REFERENCE_SCOPE } from "../core/benchmark/store.ts";
import { libsqlClient } from "../core/db/database.ts";
import { redactUrlCredentials } from "../core/observability/logger.ts";
import { applyMigrations } from "../platform/db/migrate.ts";
import { databaseFileBytes, openDatabase } from "../platform/db/open.ts";
import { loadStackConfig } from "./config.ts";
import { seedStock, stockSummary } from "./seed/run.ts";

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

console.error(
  `seed: ${count.toLocaleString("en")} synthetic homes (seed ${seed}, ${workers} worker threads) into ${redactUrlCredentials(config.DATABASE_URL)}`,
);
const tty = process.stderr.isTTY;
const seconds = await seedStock(client, {
  count,
  seed,
  workers,
  chunk,
  transaction,
  onProgress: (stored, s) => {
    const line = `seed: ${stored.toLocaleString("en")} / ${count.toLocaleString("en")} homes, ${Math.round(stored / s).toLocaleString("en")}/s`;
    process.stderr.write(tty ? `\r${line}   ` : `${line}\n`);
  },
});
if (tty) process.stderr.write("\n");

const summary = await stockSummary(client);
const pct = (x: number) => x.toFixed(1);
const mean = (x: number | null) => (x === null ? "-" : x.toFixed(0));
const bytes = databaseFileBytes(config.DATABASE_URL);
const size = bytes === undefined ? "" : `, database ${(bytes / 2 ** 20).toFixed(0)} MiB`;
console.log(
  `seed: stored ${count.toLocaleString("en")} homes in ${seconds.toFixed(1)} s (${Math.round(count / seconds).toLocaleString("en")} homes/s)${size}; reference stock now ${summary.homes.toLocaleString("en")} homes`,
);
console.table({
  "classes E-H %": { produced: pct(summary.sharesPct.EH), published: "65 (EnergyHub for All)" },
  "classes C-D %": { produced: pct(summary.sharesPct.CD), published: "32" },
  "classes A-B %": { produced: pct(summary.sharesPct.AB), published: "3" },
  "mean EP detached houses kWh/m²": {
    produced: mean(summary.meanPrimaryKwhM2.detached_house),
    published: "415 (YPEN EPCs 2011-2019 via bbk.gr)",
  },
  "mean EP apartments kWh/m²": {
    produced: mean(summary.meanPrimaryKwhM2.apartment),
    published: "265 (YPEN EPCs 2011-2019 via bbk.gr)",
  },
  "mean EP apartment blocks kWh/m²": {
    produced: mean(summary.meanPrimaryKwhM2.apartment_block),
    published: "-",
  },
});
close();
process.exit(0);
