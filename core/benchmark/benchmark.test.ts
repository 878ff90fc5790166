import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client, InStatement, TransactionMode } from "@libsql/client";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { libsqlClient } from "../db/database.ts";
import { type EnergyClass, energyClass, energyClasses } from "../energy/index.ts";
import { createRng } from "../random/rng.ts";
import { benchmarkHome, cohortStatistics, createSummaryCache } from "./benchmark.ts";
import { cohortKey, MIN_COHORT_SIZE } from "./cohort.ts";
import type { HomeFigures } from "./figures.ts";
import { ranksStatement, readRanks, statIncrements } from "./store.ts";
import { loadSummary, scanSide } from "./summaries.ts";

const dir = mkdtempSync(join(tmpdir(), "gridpulse-benchmark-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
let client: Client;
beforeEach(async () => {
  const { db } = await openDatabase({ url: `file:${join(dir, `b${n++}.db`)}` });
  await applyMigrations(db);
  client = libsqlClient(db);
});

const home = (over: Partial<HomeFigures> = {}): HomeFigures => ({
  zone: "B",
  buildingType: "apartment",
  constructionYear: 1990,
  heatedFloorAreaM2: 90,
  primaryEnergyKwhM2: 250,
  annualCostEur: 1500,
  co2KgM2: 60,
  energyClass: "D",
  packagePrimaryEnergyKwhM2: 120,
  packageEnergyClass: "B",
  ...over,
});

async function store(homes: HomeFigures[], scope = "reference") {
  await client.batch(statIncrements(scope, homes, Date.now()), "write");
}

/** The exact share of the cohort using more energy, ties counted half. */
function exactRank(values: number[], v: number): number {
  const above = values.filter((x) => x > v).length;
  const tied = values.filter((x) => x === v).length;
  return (100 * (above + 0.5 * tied)) / values.length;
}

function exactQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number;
}

describe("benchmarks", () => {
  it("answers an empty database with a clear, non-error answer", async () => {
    const b = await benchmarkHome(client, "reference", home());
    expect(b.statistics).toBeNull();
    expect(b.lessEnergyThanPct).toBeNull();
    expect(b.note).toMatch(/no homes are stored/);
    const s = await cohortStatistics(client, "reference", { zone: "B" });
    expect(s.statistics).toBeNull();
    expect(s.note).toMatch(/npm run seed/);
  });

  it("ranks against an exact computation over a random cohort (within one percentile)", async () => {
    const rng = createRng(7);
    const values = Array.from({ length: 3000 }, () => 60 + rng() * rng() * 700);
    await store(
      values.map((v) => home({ primaryEnergyKwhM2: v, energyClass: energyClass(v / 140) })),
    );
    for (let i = 0; i < 60; i++) {
      const v = values[Math.floor(rng() * values.length)] as number;
      const b = await benchmarkHome(client, "reference", home({ primaryEnergyKwhM2: v }));
      expect(b.fallback).toBe(false);
      expect(b.statistics?.homes).toBe(3000);
      expect(Math.abs((b.lessEnergyThanPct as number) - exactRank(values, v))).toBeLessThanOrEqual(
        1,
      );
    }
    const b = await benchmarkHome(client, "reference", home());
    const pe = b.statistics?.primaryEnergyKwhM2;
    for (const [q, got] of [
      [0.25, pe?.p25],
      [0.5, pe?.median],
      [0.75, pe?.p75],
    ] as const) {
      expect(Math.abs((got as number) - exactQuantile(values, q))).toBeLessThanOrEqual(0.5);
    }
    expect(pe?.mean).toBeCloseTo(values.reduce((a, x) => a + x, 0) / values.length, 6);
    const classes = Object.fromEntries(energyClasses.map((c) => [c, 0])) as Record<
      EnergyClass,
      number
    >;
    for (const v of values) classes[energyClass(v / 140)] += 1;
    for (const c of b.statistics?.classes ?? []) expect(c.homes).toBe(classes[c.energyClass]);
    // The recommended package ranks in the same cohort.
    expect(b.recommendedPackage?.lessEnergyThanPct).toBeCloseTo(exactRank(values, 120), -0.5);
  });

  it("stores a request's increments (one JSON text) exactly as the bulk form does", async () => {
    const rng = createRng(11);
    const homes = Array.from({ length: 40 }, (_, i) =>
      home({
        zone: i % 3 === 0 ? "C" : "B",
        constructionYear: 1960 + i,
        heatedFloorAreaM2: 40 + i * 5,
        primaryEnergyKwhM2: 60 + rng() * 500,
        annualCostEur: 300 + rng() * 3000,
        co2KgM2: 10 + rng() * 120,
        energyClass: energyClasses[i % energyClasses.length] as EnergyClass,
      }),
    );
    const one = statIncrements("t", homes.slice(0, 1), 5);
    expect(one).toHaveLength(2);
    expect(typeof one[0] === "object" && one[0].sql).toMatch(/json_each/);
    const bulk = statIncrements("u", homes, 5);
    expect(bulk.some((st) => typeof st === "object" && /json_each/.test(st.sql))).toBe(false);
    await client.batch(bulk, "write");
    for (const h of homes) await client.batch(statIncrements("v", [h], 5), "write");
    const bins = async (scope: string) =>
      (
        await client.execute({
          sql: "select cohort, metric, bin, homes from cohort_bins where scope = ? order by 1, 2, 3",
          args: [scope],
        })
      ).rows.map((r) => [r.cohort, r.metric, r.bin, r.homes]);
    const u = await bins("u");
    expect(u.length).toBeGreaterThan(6 * 4);
    expect(u.reduce((sum, r) => sum + Number(r[3]), 0)).toBe(6 * 4 * homes.length);
    expect(await bins("v")).toEqual(u);
    const stats = async (scope: string) =>
      (
        await client.execute({
          sql: "select cohort, homes, sum_pe, sum_cost, sum_co2 from cohort_stats where scope = ? order by 1",
          args: [scope],
        })
      ).rows.map((r) => ({
        cohort: r.cohort,
        sums: [r.homes, r.sum_pe, r.sum_cost, r.sum_co2].map(Number),
      }));
    const su = await stats("u");
    const sv = await stats("v");
    expect(sv.map((r) => r.cohort)).toEqual(su.map((r) => r.cohort));
    expect(su[0]?.sums[0]).toBeGreaterThan(0);
    for (let i = 0; i < su.length; i++)
      for (let j = 0; j < 4; j++) expect(sv[i]?.sums[j]).toBeCloseTo(su[i]?.sums[j] as number, 6);
  });

  it("increments combined across concurrent requests (sqld write groups) equal them one by one", async () => {
    const { attachRemoteDatabase, RemoteDatabase } = await import("../db/remote-database.ts");
    const { withBusyRetry } = await import("../db/busy-retry.ts");
    const rng = createRng(5);
    const homes = Array.from({ length: 30 }, (_, i) =>
      home({
        zone: i % 2 === 0 ? "B" : "C",
        constructionYear: 1970 + (i % 4) * 12,
        primaryEnergyKwhM2: 80 + rng() * 300,
        annualCostEur: 500 + rng() * 2000,
        co2KgM2: 20 + rng() * 80,
      }),
    );
    // The same database posing as a libSQL server: its writes go through one write queue.
    const remote = new RemoteDatabase();
    const server = new Proxy(client, {
      get: (target, prop) => {
        if (prop === "protocol") return "http";
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const queued = withBusyRetry(attachRemoteDatabase(server, remote));
    await Promise.all(
      homes.map((h, i) => queued.batch(statIncrements("g", [h], 100 + i), "write")),
    );
    expect(remote.counts.combined).toBeGreaterThan(0);
    for (const [i, h] of homes.entries())
      await client.batch(statIncrements("s", [h], 100 + i), "write");
    const bins = async (scope: string) =>
      (
        await client.execute({
          sql: "select cohort, metric, bin, homes from cohort_bins where scope = ? order by 1, 2, 3",
          args: [scope],
        })
      ).rows.map((r) => [r.cohort, r.metric, r.bin, r.homes]);
    expect(await bins("g")).toEqual(await bins("s"));
    const stats = async (scope: string) =>
      (
        await client.execute({
          sql: "select cohort, homes, sum_pe, sum_cost, sum_co2, updated_at_ms from cohort_stats where scope = ? order by 1",
          args: [scope],
        })
      ).rows.map((r) => ({ ...r }));
    const g = await stats("g");
    const s = await stats("s");
    expect(g.map((r) => [r.cohort, r.homes, r.updated_at_ms])).toEqual(
      s.map((r) => [r.cohort, r.homes, r.updated_at_ms]),
    );
    for (const [i, r] of g.entries())
      for (const col of ["sum_pe", "sum_cost", "sum_co2"])
        expect(Number(r[col])).toBeCloseTo(Number(s[i]?.[col]), 6);
  });

  it("ranks ties exactly: a tied group splits half above, half below", async () => {
    const values = [...Array(40).fill(200), ...Array(30).fill(150), ...Array(30).fill(300)];
    await store(values.map((v) => home({ primaryEnergyKwhM2: v })));
    const b = await benchmarkHome(client, "reference", home({ primaryEnergyKwhM2: 200 }));
    expect(b.lessEnergyThanPct).toBeCloseTo(exactRank(values, 200), 10); // 30 + 20 = 50 %
    expect(b.summary).toBe("uses less energy than 50% of similar homes");
    const best = await benchmarkHome(client, "reference", home({ primaryEnergyKwhM2: 150 }));
    expect(best.lessEnergyThanPct).toBeCloseTo(85, 10);
    expect(best.topQuarter?.reached).toBe(true);
  });

  it("reads the same exact ranks scanning either side of the bins, and picks the side with fewer", async () => {
    const rng = createRng(5);
    // On bin edges (0.5 kWh/m²), ties included, with homes in the first bin and the overflow bin.
    const values = [
      ...Array.from({ length: 400 }, () => 40 + Math.floor(rng() * rng() * 1600) / 2),
      ...Array(25).fill(150),
      0.2,
      0.2,
      3000,
    ];
    await store(values.map((v) => home({ primaryEnergyKwhM2: v })));
    const key = cohortKey({
      zone: "B",
      buildingType: "apartment",
      period: "1981-2000",
      areaBand: "80-119",
    });
    const probes = [0.2, 10, 150, ...values.slice(0, 30), 799.5, 2400, 3000];
    for (const [a, b] of probes.map((v, i) => [v, probes[(i * 7) % probes.length] as number])) {
      const expected = [exactRank(values, a as number), exactRank(values, b)];
      for (const side of ["below", "above"] as const) {
        const row = (await client.execute(ranksStatement("reference", key, [a as number, b], side)))
          .rows[0];
        const got = readRanks(row, 2, side);
        expect(got[0]).toBeCloseTo(expected[0] as number, 10);
        expect(got[1]).toBeCloseTo(expected[1] as number, 10);
      }
    }
    // An empty cohort ranks 0 either way.
    for (const side of ["below", "above"] as const) {
      const row = (await client.execute(ranksStatement("reference", "z=A", [100], side))).rows[0];
      expect(readRanks(row, 1, side)).toEqual([0]);
    }
    // The side: fewer of the summary's bins between the values and that end of the range.
    const summary = await loadSummary(client, "reference", key);
    expect(scanSide(summary, [60])).toBe("below");
    expect(scanSide(summary, [60, 900])).toBe("above");
    expect(scanSide(summary, [1200])).toBe("above");
    expect(scanSide(undefined, [1200])).toBe("below");
  });

  it("falls back to a broader cohort and says which answered", async () => {
    // 10 homes in the finest cohort, 40 more of the same zone and type but another period.
    await store([
      ...Array.from({ length: 10 }, (_, i) => home({ primaryEnergyKwhM2: 200 + i })),
      ...Array.from({ length: 40 }, (_, i) =>
        home({ constructionYear: 1970, primaryEnergyKwhM2: 300 + i }),
      ),
    ]);
    const b = await benchmarkHome(client, "reference", home({ primaryEnergyKwhM2: 205 }));
    expect(b.fallback).toBe(true);
    expect(b.requested.key).toBe("z=B;t=apartment;p=1981-2000;a=80-119");
    expect(b.statistics?.cohort.key).toBe("z=B;t=apartment");
    expect(b.statistics?.homes).toBe(50);
    expect(b.summary).toBe(
      "uses less energy than 89% of homes of the broader cohort z=B;t=apartment",
    );
    expect(b.zone?.cohort.key).toBe("z=B");
    expect(b.national?.homes).toBe(50);
    const s = await cohortStatistics(client, "reference", {
      zone: "B",
      buildingType: "apartment",
      period: "1981-2000",
    });
    expect(s.fallback).toBe(true);
    expect(s.statistics?.cohort.level).toBe("zone_type");
    const enough = await cohortStatistics(client, "reference", {
      zone: "B",
      buildingType: "apartment",
      period: "<=1980",
    });
    expect(enough.fallback).toBe(false);
    expect(enough.statistics?.homes).toBe(40);
  });

  it("answers a single home, marked as indicative", async () => {
    await store([home({ primaryEnergyKwhM2: 180 })]);
    const b = await benchmarkHome(client, "reference", home({ primaryEnergyKwhM2: 180 }));
    expect(b.statistics?.homes).toBe(1);
    expect(b.statistics?.cohort.key).toBe("*");
    expect(b.note).toMatch(`until it holds ${MIN_COHORT_SIZE}`);
    expect(b.lessEnergyThanPct).toBe(50);
    expect(b.statistics?.primaryEnergyKwhM2.median).toBe(180.25);
  });

  it("keeps scopes apart: a tenant's homes never enter the reference statistics", async () => {
    await store([home()], "tnt_a");
    expect((await benchmarkHome(client, "reference", home())).statistics).toBeNull();
    expect((await benchmarkHome(client, "tnt_b", home())).statistics).toBeNull();
    expect((await benchmarkHome(client, "tnt_a", home())).statistics?.homes).toBe(1);
  });

  it("adds concurrent writers' increments without losing any", async () => {
    const rng = createRng(3);
    const batches = Array.from({ length: 20 }, () =>
      Array.from({ length: 25 }, () => home({ primaryEnergyKwhM2: 100 + Math.floor(rng() * 300) })),
    );
    await Promise.all(batches.map((b) => store(b)));
    const all = batches.flat();
    const totals = await client.execute({
      sql: "select homes, sum_pe from cohort_stats where scope = 'reference' and cohort = ?",
      args: [cohortKey({})],
    });
    expect(Number(totals.rows[0]?.homes)).toBe(500);
    expect(Number(totals.rows[0]?.sum_pe)).toBe(all.reduce((a, h) => a + h.primaryEnergyKwhM2, 0));
    const binsTotal = await client.execute(
      "select metric, sum(homes) as homes from cohort_bins where scope = 'reference' and cohort = '*' group by metric",
    );
    for (const r of binsTotal.rows) expect(Number(r.homes)).toBe(500);
  });
});

/** The client, counting the statements of each kind it runs. */
function counting(inner: Client) {
  const counts = { histogram: 0, version: 0, rank: 0 };
  const record = (s: unknown) => {
    const sql = typeof s === "string" ? s : (s as { sql: string }).sql;
    if (sql.includes("group_concat")) counts.histogram++;
    else if (sql.includes("as tied0")) counts.rank++;
    else if (sql.includes("from cohort_stats where scope = ? and cohort = ?")) counts.version++;
  };
  const wrapped = {
    execute: (s: Parameters<Client["execute"]>[0]) => {
      record(s);
      return inner.execute(s);
    },
    batch: (stmts: InStatement[], mode?: TransactionMode) => {
      for (const s of stmts) record(s);
      return inner.batch(stmts, mode);
    },
  } as unknown as Client;
  return { client: wrapped, counts };
}

describe("cohort summaries in memory (stale-while-revalidate)", () => {
  const values = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + 2 * i);
  const homes = (vs: number[]) => vs.map((v) => home({ primaryEnergyKwhM2: v }));

  it("serves a summary from memory while its cohort has not moved, however old", async () => {
    await store(homes(values(100, 100)));
    const cache = createSummaryCache(1000);
    const { client: c, counts } = counting(client);
    const first = await benchmarkHome(c, "reference", home({ primaryEnergyKwhM2: 150 }), {
      cache,
      nowMs: 0,
    });
    const loads = counts.histogram;
    expect(loads).toBeGreaterThan(0);
    const later = await benchmarkHome(c, "reference", home({ primaryEnergyKwhM2: 150 }), {
      cache,
      nowMs: 10_000_000,
    });
    expect(later).toEqual(first);
    expect(counts.histogram).toBe(loads); // no histogram read
    expect(counts.rank).toBe(0); // ranks from the summary: it is exact
    expect(first.lessEnergyThanPct).toBeCloseTo(exactRank(values(100, 100), 150), 10);
  });

  it("serves a moved cohort's last summary with fresh ranks, then refreshes it once in the background", async () => {
    const before = values(100, 100); // 100..298
    await store(homes(before));
    const cache = createSummaryCache(1000);
    const { client: c, counts } = counting(client);
    const at = (nowMs: number, pe = 150) =>
      benchmarkHome(c, "reference", home({ primaryEnergyKwhM2: pe }), { cache, nowMs });
    const old = await at(0);
    expect(old.statistics?.primaryEnergyKwhM2.median).toBe(198.25);

    const added = values(400, 100); // 400..598: the median moves to the top of the first group
    await store(homes(added));
    const all = [...before, ...added];
    const loads = counts.version;

    // Within the TTL: the last summary's quartiles and class counts, fresh homes, means and ranks.
    const within = await at(500);
    expect(within.statistics?.primaryEnergyKwhM2.median).toBe(198.25);
    expect(within.statistics?.homes).toBe(200);
    expect(within.statistics?.primaryEnergyKwhM2.mean).toBeCloseTo(
      all.reduce((a, v) => a + v, 0) / 200,
      6,
    );
    expect(within.lessEnergyThanPct).toBeCloseTo(exactRank(all, 150), 10);
    // The summary is not exact any more: both ranks (the home's, its package's) were read from the
    // bins, in one statement.
    expect(counts.rank).toBe(1);
    expect(counts.version).toBe(loads); // and nothing was reloaded

    // Past the TTL: still the last summary, while exactly one refresh per cohort starts.
    const [a, b] = await Promise.all([at(1500), at(1500, 500)]);
    expect(a.statistics?.primaryEnergyKwhM2.median).toBe(198.25);
    expect(b.statistics?.primaryEnergyKwhM2.median).toBe(198.25);
    expect(b.lessEnergyThanPct).toBeCloseTo(exactRank(all, 500), 10);
    await cache.idle();
    // One load (two version reads) for each of the three cohorts asked for (the finest, which
    // answers, its zone and the nation), not one per request.
    expect((counts.version - loads) / 2).toBe(3);

    const ranksBefore = counts.rank;
    const fresh = await at(1600);
    expect(fresh.statistics?.primaryEnergyKwhM2.median).toBe(298.25);
    expect(fresh.lessEnergyThanPct).toBeCloseTo(exactRank(all, 150), 10);
    expect(counts.rank).toBe(ranksBefore); // exact again: ranks from memory
  });

  it("waits for a load once the summary is older than maxStaleMs", async () => {
    await store(homes(values(100, 100)));
    const cache = createSummaryCache(1000, { maxStaleMs: 2000 });
    const at = (nowMs: number) =>
      cohortStatistics(
        client,
        "reference",
        { zone: "B", buildingType: "apartment" },
        { cache, nowMs },
      );
    expect((await at(0)).statistics?.primaryEnergyKwhM2.median).toBe(198.25);
    await store(homes(values(400, 100)));
    expect((await at(1500)).statistics?.primaryEnergyKwhM2.median).toBe(198.25); // stale, refreshing
    await cache.idle();
    expect((await at(1600)).statistics?.primaryEnergyKwhM2.median).toBe(298.25);
    await store(homes(values(1000, 200)));
    // 2600 ms after the last load: older than maxStaleMs, so this request waits for a fresh summary.
    expect((await at(4200)).statistics?.primaryEnergyKwhM2.median).toBe(598.25);
  });

  it("shares one load between concurrent requests for a cohort never seen", async () => {
    await store(homes(values(100, 100)));
    const cache = createSummaryCache(1000);
    const { client: c, counts } = counting(client);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        cohortStatistics(c, "reference", { zone: "B" }, { cache, nowMs: 0 }),
      ),
    );
    for (const a of answers) expect(a.statistics?.homes).toBe(100);
    expect(counts.version).toBe(2); // one load: its version read before and after
  });

  it("Workers (pollMs): waiters look for the shared load's outcome on timers of their own", async () => {
    await store(homes(values(100, 100)));
    const timers = vi.spyOn(globalThis, "setTimeout");
    try {
      const cache = createSummaryCache(1000, { pollMs: 1 });
      const { client: c, counts } = counting(client);
      const answers = await Promise.all(
        Array.from({ length: 5 }, () =>
          cohortStatistics(c, "reference", { zone: "B" }, { cache, nowMs: 0 }),
        ),
      );
      for (const a of answers) expect(a.statistics?.homes).toBe(100);
      expect(counts.version).toBe(2); // still one load
      expect(timers.mock.calls.some(([, ms]) => ms === 1)).toBe(true);
      // A shared load that fails fails each request waiting for it.
      const failing = {
        execute: (s: InStatement) =>
          JSON.stringify(s).includes("group_concat")
            ? Promise.reject(new Error("disk on fire"))
            : client.execute(s),
        batch: (s: InStatement[], mode?: TransactionMode) => client.batch(s, mode),
      } as unknown as Client;
      const failed = await Promise.allSettled(
        Array.from({ length: 3 }, () =>
          cohortStatistics(failing, "reference", { zone: "C" }, { cache, nowMs: 0 }),
        ),
      );
      expect(failed.map((f) => f.status)).toEqual(["rejected", "rejected", "rejected"]);
    } finally {
      timers.mockRestore();
    }
  });

  it("keeps serving the last summary when a refresh fails, and retries later", async () => {
    await store(homes(values(100, 100)));
    const cache = createSummaryCache(1000);
    let failing = false;
    const flaky = {
      execute: (s: InStatement) =>
        failing && JSON.stringify(s).includes("group_concat")
          ? Promise.reject(new Error("disk on fire"))
          : client.execute(s),
      batch: (s: InStatement[], mode?: TransactionMode) => client.batch(s, mode),
    } as unknown as Client;
    const at = (nowMs: number) =>
      cohortStatistics(flaky, "reference", { zone: "B" }, { cache, nowMs });
    await at(0);
    await store(homes(values(400, 100)));
    failing = true;
    expect((await at(1500)).statistics?.primaryEnergyKwhM2.median).toBe(198.25);
    await cache.idle();
    expect((await at(1600)).statistics?.primaryEnergyKwhM2.median).toBe(198.25); // still served
    failing = false;
    await at(2600); // past the retry pause: refreshes
    await cache.idle();
    expect((await at(2700)).statistics?.primaryEnergyKwhM2.median).toBe(298.25);
  });

  it("with a TTL of 0, loads on every request", async () => {
    await store(homes(values(100, 100)));
    const cache = createSummaryCache(0);
    const { client: c, counts } = counting(client);
    await cohortStatistics(c, "reference", {}, { cache, nowMs: 0 });
    await cohortStatistics(c, "reference", {}, { cache, nowMs: 0 });
    expect(counts.version).toBe(4);
  });
});
