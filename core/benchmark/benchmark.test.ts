import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@libsql/client";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { libsqlClient } from "../db/database.ts";
import { applyMigrations } from "../db/migrate.node.ts";
import { openDatabase } from "../db/open.node.ts";
import { type EnergyClass, energyClass, energyClasses } from "../energy/index.ts";
import { createRng } from "../random/rng.ts";
import { benchmarkHome, cohortStatistics } from "./benchmark.ts";
import { cohortKey, MIN_COHORT_SIZE } from "./cohort.ts";
import type { HomeFigures } from "./figures.ts";
import { statIncrements } from "./store.ts";

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
