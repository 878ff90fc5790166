import { describe, expect, it } from "vitest";
import { homeFigures } from "../../../core/benchmark/figures.ts";
import { REFERENCE_SCOPE, statIncrements } from "../../../core/benchmark/store.ts";
import { libsqlClient } from "../../../core/db/database.ts";
import { assess } from "../../../core/energy/index.ts";
import { createHarness } from "../../testing/harness.ts";

const home = (year: number, area: number) => ({
  location: { prefecture: "Attica" },
  buildingType: "apartment",
  constructionYear: year,
  heatedFloorAreaM2: area,
  storeys: 1,
});

type Benchmark = {
  against: string;
  fallback: boolean;
  statistics: { homes: number; cohort: { key: string } } | null;
  lessEnergyThanPct: number | null;
  summary: string;
  recommendedPackage: { lessEnergyThanPct: number } | null;
  zone: { medianKwhM2: number } | null;
  note?: string;
};

describe("benchmarks API", () => {
  it("answers an empty database with 200 and a note, then ranks against the reference stock", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const created = (await (
      await h.call("/v1/assessments", key, { method: "POST", json: home(1975, 85) })
    ).json()) as { id: string };

    const empty = await h.call(`/v1/assessments/${created.id}/benchmark`, key);
    expect(empty.status).toBe(200);
    const emptyBody = (await empty.json()) as Benchmark;
    expect(emptyBody.statistics).toBeNull();
    expect(emptyBody.note).toMatch(/no homes are stored/);

    // A small reference stock, through the same code path the seed uses.
    const stock = Array.from({ length: 60 }, (_, i) => home(1960 + (i % 20), 80 + (i % 30)));
    const figures = stock.map((s) =>
      homeFigures(s as never, assess(s, { now: "2026-11-01T00:00:00Z" })),
    );
    await libsqlClient(h.db).batch(statIncrements(REFERENCE_SCOPE, figures, 0), "write");

    const res = await h.call(`/v1/assessments/${created.id}/benchmark`, key);
    expect(res.status).toBe(200);
    const b = (await res.json()) as Benchmark;
    expect(b.against).toBe("reference");
    expect(b.statistics?.homes).toBeGreaterThanOrEqual(30);
    expect(b.lessEnergyThanPct).toBeGreaterThanOrEqual(0);
    expect(b.summary).toMatch(/^uses less energy than \d+% of/);
    expect(b.recommendedPackage?.lessEnergyThanPct).toBeGreaterThan(b.lessEnergyThanPct as number);
    expect(b.zone?.medianKwhM2).toBeGreaterThan(0);

    const list = await h.call(
      "/v1/benchmarks?zone=B&buildingType=apartment&constructionYear=1975",
      key,
    );
    expect(list.status).toBe(200);
    const stats = (await list.json()) as Benchmark;
    expect(stats.statistics?.cohort.key).toMatch(/^z=B;t=apartment/);
  });

  it("validates queries and ids, and hides other tenants' assessments (404)", async () => {
    const h = await createHarness();
    const a = await h.tenant("A");
    const b = await h.tenant("B");
    const created = (await (
      await h.call("/v1/assessments", a.key, { method: "POST", json: home(1990, 70) })
    ).json()) as { id: string };
    expect((await h.call(`/v1/assessments/${created.id}/benchmark`, b.key)).status).toBe(404);
    expect((await h.call("/v1/assessments/asm_nope/benchmark", a.key)).status).toBe(400);
    for (const q of [
      "zone=E",
      "buildingType=castle",
      "period=1990s",
      "constructionYear=1990&period=1981-2000",
      "heatedFloorAreaM2=-3",
      "against=everyone",
    ]) {
      const res = await h.call(`/v1/benchmarks?${q}`, a.key);
      expect(res.status, q).toBe(400);
    }
    expect((await h.call("/v1/benchmarks", undefined)).status).toBe(401);
  });

  it("keeps portfolio statistics exact under concurrent assessments", async () => {
    const h = await createHarness();
    const { key, tenantId } = await h.tenant();
    const other = await h.tenant("other");
    const homes = Array.from({ length: 40 }, (_, i) => home(1950 + i, 50 + 3 * i));
    const responses = await Promise.all([
      ...homes.map((json) => h.call("/v1/assessments", key, { method: "POST", json })),
      h.call("/v1/assessments", other.key, { method: "POST", json: home(1980, 90) }),
    ]);
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 201));
    const client = libsqlClient(h.db);
    const exact = await client.execute({
      sql: "select count(*) as n, sum(primary_energy_kwh_m2) as pe from assessments where tenant_id = ?",
      args: [tenantId],
    });
    const stats = await client.execute({
      sql: "select homes, sum_pe from cohort_stats where scope = ? and cohort = '*'",
      args: [tenantId],
    });
    expect(Number(stats.rows[0]?.homes)).toBe(40);
    expect(Number(stats.rows[0]?.sum_pe)).toBeCloseTo(Number(exact.rows[0]?.pe), 6);
    const portfolio = (await (
      await h.call("/v1/benchmarks?against=portfolio", key)
    ).json()) as Benchmark;
    expect(portfolio.statistics?.homes).toBe(40);
    const reference = (await (await h.call("/v1/benchmarks", key)).json()) as Benchmark;
    expect(reference.statistics).toBeNull();
  });
});
