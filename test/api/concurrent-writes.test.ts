/**
 * Concurrent assessments on every runtime — Node on an embedded file (group commit), Node and workerd
 * against a libSQL server (sqld): 64 POSTs at once, every one stored once, and the tenant's cohort
 * statistics (hot rows every request increments) equal to a recomputation from the stored rows. An
 * invalid request among them fails alone. No write needs a BUSY retry: the embedded client commits a
 * turn's writes together, and against sqld the API keeps one write group in flight per process.
 * Concurrent reads (grouped against sqld, also on workerd), some of whose clients give up, each answer
 * exactly what their POST answered, and none is left waiting.
 */
import { createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HomeFigures, homeFigures } from "../../core/benchmark/figures.ts";
import { statIncrements } from "../../core/benchmark/store.ts";
import { createDatabase, libsqlClient } from "../../core/db/database.ts";
import { assess } from "../../core/energy/index.ts";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { openDatabase } from "../../platform/db/open.ts";
import {
  type ApiRuntime,
  type RuntimeName,
  startApiRuntime,
  startEmbeddedApiRuntime,
} from "../support/api-runtimes.ts";

const runtimes: RuntimeName[] = ["embedded", "node", "workerd"];
const concurrent = 64;

/** Homes over three zones, two building types, three periods and three area bands: shared cohorts. */
function home(i: number) {
  const buildingType = i % 2 === 0 ? "apartment" : "detached_house";
  return {
    location: { prefecture: ["Attica", "Heraklion", "Ioannina"][i % 3] },
    buildingType,
    constructionYear: [1975, 1995, 2012][Math.floor(i / 3) % 3],
    heatedFloorAreaM2: [60, 85, 140][Math.floor(i / 9) % 3],
    storeys: buildingType === "apartment" ? 1 : 2,
    systems: { heating: { type: i % 4 < 2 ? "gas_boiler" : "heat_pump_air_water" } },
  };
}

type Row = Record<string, unknown>;

/** The tenant's statistics rows, keyed and without the timestamp (compared separately). */
async function statistics(client: ReturnType<typeof createClient>, scope: string) {
  const stats = await client.execute({
    sql: "select cohort, homes, sum_pe, sum_cost, sum_co2, updated_at_ms from cohort_stats where scope = ? order by cohort",
    args: [scope],
  });
  const bins = await client.execute({
    sql: "select cohort, metric, bin, homes from cohort_bins where scope = ? order by cohort, metric, bin",
    args: [scope],
  });
  return {
    stats: stats.rows.map((r) => ({ ...(r as Row) })),
    bins: bins.rows.map((r) => `${r.cohort}|${r.metric}|${r.bin}|${r.homes}`),
  };
}

/** The tenant's stored assessments: the columns their cohort statistics are computed from. */
async function storedRows(client: ReturnType<typeof createClient>, tenantId: string) {
  const result = await client.execute({
    sql: `select id, created_at_ms, climate_zone, building_type, construction_year,
        heated_floor_area_m2, primary_energy_kwh_m2, energy_class, annual_cost_eur, co2_kg_m2,
        package_primary_energy_kwh_m2, package_energy_class
      from assessments where tenant_id = ? order by id`,
    args: [tenantId],
  });
  return result.rows.map((r) => ({ ...(r as Row) }));
}

/**
 * The statistics the stored rows should have produced: every row's figures run through the same
 * increments (`statIncrements`, at the row's own time) into an empty database.
 */
async function recompute(rows: Row[], scope: string) {
  const client = createClient({ url: ":memory:" });
  try {
    await applyMigrations(createDatabase(client));
    for (const r of rows) {
      const figures: HomeFigures = {
        zone: r.climate_zone as HomeFigures["zone"],
        buildingType: r.building_type as HomeFigures["buildingType"],
        constructionYear: Number(r.construction_year),
        heatedFloorAreaM2: Number(r.heated_floor_area_m2),
        primaryEnergyKwhM2: Number(r.primary_energy_kwh_m2),
        annualCostEur: Number(r.annual_cost_eur),
        co2KgM2: Number(r.co2_kg_m2),
        energyClass: r.energy_class as HomeFigures["energyClass"],
        packagePrimaryEnergyKwhM2:
          r.package_primary_energy_kwh_m2 === null ? null : Number(r.package_primary_energy_kwh_m2),
        packageEnergyClass: (r.package_energy_class ?? null) as HomeFigures["packageEnergyClass"],
      };
      await client.batch(statIncrements(scope, [figures], Number(r.created_at_ms)), "write");
    }
    return await statistics(client, scope);
  } finally {
    client.close();
  }
}

describe.each(runtimes)("%s: concurrent assessments", (name) => {
  let api: ApiRuntime;
  beforeAll(async () => {
    api = name === "embedded" ? await startEmbeddedApiRuntime() : await startApiRuntime(name);
  });
  afterAll(async () => {
    await api?.stop();
  });

  it(`${concurrent} at once: all 201, each stored once, statistics exact; an invalid one fails alone`, async () => {
    const { tenantId, key } = await api.tenant("concurrent writers");
    // One key per request: the per-key rate limit (a burst of 5) is not what this test is about.
    const keys = [key];
    while (keys.length <= concurrent) keys.push(await api.key(tenantId));
    const post = (body: unknown, bearer: string) =>
      fetch(`${api.url}/v1/assessments`, {
        method: "POST",
        headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const invalidAt = concurrent / 2;
    const responses = await Promise.all(
      Array.from({ length: concurrent + 1 }, (_, i) =>
        i === invalidAt
          ? post({ ...home(i), heatedFloorAreaM2: -5 }, keys[i] as string)
          : post(home(i < invalidAt ? i : i - 1), keys[i] as string),
      ),
    );
    const bodies = await Promise.all(
      responses.map(async (r) => ({ status: r.status, body: (await r.json()) as Row })),
    );
    const invalid = bodies[invalidAt] as { status: number; body: Row };
    expect(invalid.status).toBe(400);
    expect((invalid.body.error as Row).code).toBe("validation_failed");
    const created = bodies.filter((_, i) => i !== invalidAt);
    expect(
      created.filter((b) => b.status !== 201).map((b) => JSON.stringify(b)),
      "non-201 answers",
    ).toEqual([]);
    // ids[i]: the assessment of home(i).
    const ids = created.map((b) => b.body.id as string);
    expect(new Set(ids).size).toBe(concurrent);

    const { db, close } = await openDatabase({ url: api.databaseUrl });
    try {
      const client = libsqlClient(db) as ReturnType<typeof createClient>;
      const stored = await storedRows(client, tenantId);
      // Every 201 stored exactly once, nothing else stored.
      expect(stored.map((r) => r.id)).toEqual([...ids].sort());
      // Each row holds the figures of its own request: the engine run again on that input.
      for (const [i, id] of ids.entries()) {
        const row = stored.find((r) => r.id === id) as Row;
        const input = home(i);
        const result = assess(input as Parameters<typeof assess>[0], {
          prices: {},
          now: new Date(Number(row.created_at_ms)),
        });
        const f = homeFigures(input as Parameters<typeof homeFigures>[0], result);
        expect(row, `row of request ${i}`).toEqual({
          id,
          created_at_ms: row.created_at_ms,
          climate_zone: f.zone,
          building_type: f.buildingType,
          construction_year: f.constructionYear,
          heated_floor_area_m2: f.heatedFloorAreaM2,
          primary_energy_kwh_m2: f.primaryEnergyKwhM2,
          energy_class: f.energyClass,
          annual_cost_eur: f.annualCostEur,
          co2_kg_m2: f.co2KgM2,
          package_primary_energy_kwh_m2: f.packagePrimaryEnergyKwhM2,
          package_energy_class: f.packageEnergyClass,
        });
      }

      const actual = await statistics(client, tenantId);
      const expected = await recompute(stored, tenantId);
      // Counts exact, bin by bin: nothing lost, nothing counted twice.
      expect(actual.bins).toEqual(expected.bins);
      expect(actual.stats.map((s) => [s.cohort, s.homes, s.updated_at_ms])).toEqual(
        expected.stats.map((s) => [s.cohort, s.homes, s.updated_at_ms]),
      );
      // Sums of floating-point figures: equal up to the order of the additions (commit order).
      for (const [i, s] of actual.stats.entries()) {
        const e = expected.stats[i] as Row;
        for (const col of ["sum_pe", "sum_cost", "sum_co2"]) {
          expect(Number(s[col])).toBeCloseTo(Number(e[col]), 6);
        }
      }
      // Every home counts in six cohorts, among them its zone.
      const zones = actual.stats.filter((s) => /^z=[A-D]$/.test(String(s.cohort)));
      expect(zones.reduce((n, s) => n + Number(s.homes), 0)).toBe(concurrent);
    } finally {
      close();
    }
    // No statement had to be retried: the server never saw two of this API's writes at once.
    expect(api.output()).not.toMatch(/database busy: retrying/);
  });

  it("concurrent reads, some given up: each answer exactly what its POST answered, none stuck", async () => {
    const { tenantId, key } = await api.tenant("concurrent readers");
    const width = 48;
    const keys = [key];
    // Two keys per client, taken in turns: no key passes its burst (the rate limit is not tested here).
    while (keys.length < 2 * width) keys.push(await api.key(tenantId));
    const headers = (k: number) => ({ authorization: `Bearer ${keys[k]}` });
    // Twelve stored assessments and the bytes each view answered when it was created.
    const created: { id: string; view: string; bytes: string }[] = [];
    for (let i = 0; i < 12; i++) {
      const view = i % 2 === 0 ? "full" : "summary";
      const r = await fetch(`${api.url}/v1/assessments?view=${view}`, {
        method: "POST",
        headers: { ...headers(i), "content-type": "application/json" },
        body: JSON.stringify(home(i)),
      });
      expect(r.status).toBe(201);
      const bytes = await r.text();
      created.push({ id: (JSON.parse(bytes) as { id: string }).id, view, bytes });
    }
    const get = (i: number, k: number, signal?: AbortSignal) => {
      const c = created[i % created.length] as (typeof created)[number];
      return fetch(`${api.url}/v1/assessments/${c.id}?view=${c.view}`, {
        headers: headers(k),
        signal,
      }).then(async (r) => ({ status: r.status, text: await r.text(), want: c.bytes }));
    };
    // Four waves of concurrent reads (they queue behind each other's pipeline requests); every fifth
    // client gives up 0-12 ms after sending, as the end of a load run does.
    let aborted = 0;
    for (let wave = 0; wave < 4; wave++) {
      const outcomes = await Promise.all(
        Array.from({ length: width }, async (_, i) => {
          const controller = new AbortController();
          if (i % 5 === wave % 5) setTimeout(() => controller.abort(), (i * 5) % 13);
          try {
            return await get(i + wave, i + (wave % 2) * width, controller.signal);
          } catch (error) {
            if ((error as Error).name !== "AbortError") throw error;
            aborted++;
            return undefined;
          }
        }),
      );
      for (const o of outcomes) {
        if (o === undefined) continue;
        expect(o.status, o.text).toBe(200);
        expect(o.text).toBe(o.want);
      }
    }
    expect(aborted).toBeGreaterThan(0);
    // Nothing is left waiting: a last wave answers at once, every one whole.
    const last = await Promise.all(
      Array.from({ length: width }, (_, i) => get(i, i, AbortSignal.timeout(10_000))),
    );
    for (const o of last) {
      expect(o.status, o.text).toBe(200);
      expect(o.text).toBe(o.want);
    }
  });

  it("clients that give up mid-request: the others all 201, each stored write whole, the next writes fine", async () => {
    const { tenantId, key } = await api.tenant("impatient writers");
    const total = 48;
    const keys = [key];
    while (keys.length < total + 16) keys.push(await api.key(tenantId));
    const post = (i: number, signal?: AbortSignal) =>
      fetch(`${api.url}/v1/assessments?view=summary`, {
        method: "POST",
        headers: { authorization: `Bearer ${keys[i]}`, "content-type": "application/json" },
        body: JSON.stringify(home(i)),
        signal,
      });
    // Every third client aborts 0–40 ms after sending (spread over the write groups in flight), the
    // rest wait for their answers.
    const outcomes = await Promise.all(
      Array.from({ length: total }, async (_, i) => {
        const controller = new AbortController();
        if (i % 3 === 0) setTimeout(() => controller.abort(), (i * 7) % 41);
        try {
          const r = await post(i, controller.signal);
          return { i, status: r.status, body: (await r.json()) as Row };
        } catch (error) {
          if ((error as Error).name !== "AbortError") throw error;
          return { i, status: 0, body: {} as Row };
        }
      }),
    );
    const answered = outcomes.filter((o) => o.status !== 0);
    expect(
      answered.filter((o) => o.status !== 201).map((o) => JSON.stringify(o)),
      "non-201 answers of clients that waited",
    ).toEqual([]);
    expect(answered.filter((o) => o.i % 3 !== 0)).toHaveLength(total - Math.ceil(total / 3));

    // Nothing is left broken: the next writes all succeed at once.
    const next = await Promise.all(
      Array.from({ length: 16 }, (_, j) => post(total + j).then((r) => r.status)),
    );
    expect(next).toEqual(Array(16).fill(201));

    const { db, close } = await openDatabase({ url: api.databaseUrl });
    try {
      const client = libsqlClient(db) as ReturnType<typeof createClient>;
      const stored = await storedRows(client, tenantId);
      const storedIds = new Set(stored.map((r) => r.id));
      // Every answered 201 is stored; an aborted request is stored or not, never half.
      for (const o of answered) expect(storedIds.has(o.body.id), `answered ${o.i}`).toBe(true);
      const aborted = outcomes.filter((o) => o.status === 0).length;
      console.log(
        `${name}: ${aborted} of ${total} clients aborted; ${stored.length - answered.length - 16} of their writes committed anyway`,
      );
      expect(aborted, "clients that aborted before their answer").toBeGreaterThan(0);
      expect(stored.length).toBeGreaterThanOrEqual(answered.length + 16);
      expect(stored.length).toBeLessThanOrEqual(total + 16);
      const actual = await statistics(client, tenantId);
      const expected = await recompute(stored, tenantId);
      expect(actual.bins).toEqual(expected.bins);
      expect(actual.stats.map((s) => [s.cohort, s.homes])).toEqual(
        expected.stats.map((s) => [s.cohort, s.homes]),
      );
    } finally {
      close();
    }
  });
});
