/**
 * Seeding the shared reference stock: synthetic homes (core/benchmark/stock.ts) assessed by the real
 * engine in worker threads, stored in `stock_homes` with their cohort statistics in the same transaction
 * per batch. Used by `npm run seed` and by `npm start`, which seeds a default stock on its first start
 * so benchmarks answer out of the box. SYNTHETIC: no real home is described.
 */
import { Worker } from "node:worker_threads";
import type { Client, InStatement } from "@libsql/client";
import { REFERENCE_SCOPE, statIncrements } from "../../core/benchmark/store.ts";
import { ENGINE_VERSION, energyClasses } from "../../core/energy/index.ts";
import type { SeededHome } from "./generate.ts";
import type { SeedJob } from "./worker.ts";

export interface SeedOptions {
  count: number;
  seed: number;
  workers: number;
  /** Homes per worker job. */
  chunk?: number;
  /** Homes per write transaction. */
  transaction?: number;
  /** Called about once a second with the homes stored so far. */
  onProgress?: (stored: number, seconds: number) => void;
}

const COLUMNS = 16;
const ROWS_PER_INSERT = 200;

function writeStatements(run: string, homes: SeededHome[], nowMs: number): InStatement[] {
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

/** Seeds `count` homes of seed `seed`; resolves with the seconds it took. */
export async function seedStock(client: Client, options: SeedOptions): Promise<number> {
  const { count, seed, workers } = options;
  const chunk = options.chunk ?? 1000;
  const transaction = options.transaction ?? 20_000;
  const run = `s${seed}x${Date.now().toString(36)}`;
  const now = new Date().toISOString();
  // Chunks in flight per worker: enough work queued to cover the writer's transaction (the main
  // thread does not dispatch while it commits one), so workers never wait for it.
  const inFlight = Math.min(8, Math.max(2, Math.ceil(transaction / chunk / workers)));
  const started = performance.now();
  let next = 0;
  let stored = 0;
  let writing = Promise.resolve();
  const progress = setInterval(
    () => options.onProgress?.(stored, (performance.now() - started) / 1000),
    1000,
  );
  const pool = Array.from(
    { length: workers },
    () => new Worker(new URL("./worker.ts", import.meta.url)),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      let active = 0;
      const pending: SeededHome[] = [];
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
            // Writes are serialised: one transaction per `transaction` homes, rows and their
            // statistics together.
            const batch = pending.splice(0);
            writing = writing.then(async () => {
              await client.batch(writeStatements(run, batch, Date.now()), "write");
              stored += batch.length;
            });
            writing.catch(reject);
          }
          if (last) writing.then(() => resolve(), reject);
        });
        for (let i = 0; i < inFlight; i++) dispatch(w);
      }
    });
  } finally {
    clearInterval(progress);
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return (performance.now() - started) / 1000;
}

/** Homes in the reference stock (its all-homes cohort). */
export async function referenceStockHomes(client: Client): Promise<number> {
  const r = await client.execute({
    sql: "select homes from cohort_stats where scope = ? and cohort = '*'",
    args: [REFERENCE_SCOPE],
  });
  return Number(r.rows[0]?.homes ?? 0);
}

export interface StockSummary {
  homes: number;
  /** Class shares in %, E-H, C-D and A+-B. */
  sharesPct: { EH: number; CD: number; AB: number };
  /** Mean primary energy per building type, kWh/m². */
  meanPrimaryKwhM2: Record<"detached_house" | "apartment" | "apartment_block", number | null>;
}

/** What the stock looks like now, from the statistics the seed maintains. */
export async function stockSummary(client: Client): Promise<StockSummary> {
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
    return all > 0 ? (100 * n) / all : 0;
  };
  const mean = (k: string) => {
    const r = byCohort.get(k);
    return r && Number(r.homes) > 0 ? Number(r.sum_pe) / Number(r.homes) : null;
  };
  return {
    homes: all,
    sharesPct: {
      EH: share(["E", "Z", "H"]),
      CD: share(["C", "D"]),
      AB: share(["A+", "A", "B+", "B"]),
    },
    meanPrimaryKwhM2: {
      detached_house: mean("t=detached_house"),
      apartment: mean("t=apartment"),
      apartment_block: mean("t=apartment_block"),
    },
  };
}
