import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { marketPrices } from "../../../core/db/schema/index.ts";
import { createHarness } from "../../testing/harness.ts";

const home = {
  location: { prefecture: "Attica" },
  buildingType: "detached_house",
  constructionYear: 1975,
  heatedFloorAreaM2: 120,
  storeys: 2,
  systems: {
    heating: { type: "oil_boiler" },
    cooling: { type: "split_units" },
    hotWater: { type: "electric" },
  },
};

type Stored = {
  id: string;
  input: unknown;
  assessment: {
    rating: { energyClass: string; ratio: number };
    cost: { prices: Record<string, { eurPerKwh: number; isDefault: boolean; source: string }> };
    recommendations: { packages: unknown[] };
  };
};
type ErrorBody = { error: { code: string; details: { path: string; message: string }[] } };

describe("assessments: happy path", () => {
  it("assesses, stores and returns the assessment; GET and list return it", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const res = await h.call("/v1/assessments", key, { method: "POST", json: home });
    expect(res.status).toBe(201);
    const stored = (await res.json()) as Stored;
    expect(stored.id).toMatch(/^asm_/);
    expect(stored.input).toEqual(home);
    expect(["D", "E", "Z", "H"]).toContain(stored.assessment.rating.energyClass);
    expect(stored.assessment.recommendations.packages.length).toBeGreaterThan(0);
    const again = (await (await h.call(`/v1/assessments/${stored.id}`, key)).json()) as Stored;
    expect(again).toEqual(stored);
    const list = (await (await h.call("/v1/assessments", key)).json()) as {
      data: { id: string; energyClass: string }[];
    };
    expect(list.data).toEqual([
      expect.objectContaining({ id: stored.id, energyClass: stored.assessment.rating.energyClass }),
    ]);
  });

  it("prices with the latest market prices, regional first, and says which are defaults", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const fresh = (await (
      await h.call("/v1/assessments", key, { method: "POST", json: home })
    ).json()) as Stored;
    expect(Object.values(fresh.assessment.cost.prices).every((p) => p.isDefault)).toBe(true);

    const price = { asOfMs: Date.UTC(2026, 10, 1), source: "market feed", updatedAtMs: 0 };
    await h.db.insert(marketPrices).values([
      { ...price, carrier: "electricity", region: "", eurPerKwh: 0.2, eventId: "e1" },
      { ...price, carrier: "electricity", region: "Attica", eurPerKwh: 0.25, eventId: "e2" },
      { ...price, carrier: "heating_oil", region: "", eurPerKwh: 0.13, eventId: "e3" },
      { ...price, carrier: "heating_oil", region: "Crete", eurPerKwh: 0.99, eventId: "e4" },
    ]);
    const priced = (await (
      await h.call("/v1/assessments", key, { method: "POST", json: home })
    ).json()) as Stored;
    const used = priced.assessment.cost.prices;
    expect(used.electricity).toMatchObject({ eurPerKwh: 0.25, isDefault: false });
    expect(used.electricity?.source).toContain("Attica");
    expect(used.heating_oil).toMatchObject({ eurPerKwh: 0.13, isDefault: false });
    expect(used.natural_gas?.isDefault).toBe(true);
  });
});

describe("assessments: minimal input and uncertainty", () => {
  // Location, building type, construction year and floor area: what a homeowner knows (issue 13).
  const minimal = {
    location: { prefecture: "Thessaloniki" },
    buildingType: "apartment",
    constructionYear: 1978,
    heatedFloorAreaM2: 85,
  };
  type WithAssumptions = Stored & {
    assessment: {
      assumptions: { field: string; value: unknown; source: string; estimate: boolean }[];
      uncertainty?: {
        classDistribution: { energyClass: string; share: number }[];
        summary: string;
        primaryEnergyKwhM2: { p10: number; p50: number; p90: number };
        narrowMost: { field: string; advice: string } | null;
      };
    };
  };

  it("answers 201 to the four-input request, naming the typical systems as ESTIMATE", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const res = await h.call("/v1/assessments", key, { method: "POST", json: minimal });
    expect(res.status).toBe(201);
    const body = (await res.json()) as WithAssumptions;
    const heating = body.assessment.assumptions.find((a) => a.field === "systems.heating");
    expect(heating).toMatchObject({ value: "oil_boiler", estimate: true });
    expect(heating?.source).toContain("TABULA");
    expect(heating?.source).toContain("ELSTAT");
    expect(body.assessment.assumptions.find((a) => a.field === "storeys")).toMatchObject({
      value: 1,
      estimate: true,
    });
    // Not the TOTEE "no system" default that made this flat class H.
    expect(body.assessment.rating.energyClass).not.toBe("H");
    expect(body.assessment.uncertainty).toBeUndefined();
  });

  it("adds the class distribution with ?uncertainty=true, stored and returned byte for byte", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const res = await h.call("/v1/assessments?uncertainty=true", key, {
      method: "POST",
      json: minimal,
    });
    expect(res.status).toBe(201);
    const text = await res.text();
    const body = JSON.parse(text) as WithAssumptions;
    const u = body.assessment.uncertainty;
    expect(u).toBeDefined();
    const total = u?.classDistribution.reduce((s, c) => s + c.share, 0) ?? 0;
    expect(total).toBeCloseTo(1, 6);
    expect(u?.classDistribution.map((c) => c.energyClass)).toContain(
      body.assessment.rating.energyClass,
    );
    expect(u?.primaryEnergyKwhM2.p10).toBeLessThan(u?.primaryEnergyKwhM2.p90 ?? 0);
    expect(u?.narrowMost?.field).toBe("systems.heating");
    const again = await h.call(`/v1/assessments/${body.id}`, key);
    expect(await again.text()).toBe(text);
    // The same input draws the same samples.
    const second = (await (
      await h.call("/v1/assessments?uncertainty=true", key, { method: "POST", json: minimal })
    ).json()) as WithAssumptions;
    expect(second.assessment.uncertainty).toEqual(u);
    expect(
      (await h.call("/v1/assessments?uncertainty=yes", key, { method: "POST", json: minimal }))
        .status,
    ).toBe(400);
  });

  it("documents the flag, the optional storeys and the uncertainty in the OpenAPI document", async () => {
    const h = await createHarness();
    const doc = (await (await h.call("/openapi.json", undefined)).json()) as {
      paths: Record<string, { post: { parameters: { name: string; in: string }[] } }>;
      components: {
        schemas: Record<string, { required?: string[]; properties: Record<string, unknown> }>;
      };
    };
    const params = doc.paths["/v1/assessments"]?.post.parameters ?? [];
    expect(params).toContainEqual(expect.objectContaining({ name: "uncertainty", in: "query" }));
    const input = doc.components.schemas.AssessmentInput;
    expect(input?.required).not.toContain("storeys");
    expect(doc.components.schemas.Assessment?.properties).toHaveProperty("uncertainty");
    expect(doc.components.schemas.Assessment?.required ?? []).not.toContain("uncertainty");
  });
});

describe("assessments: errors", () => {
  const post = async (body: unknown) => {
    const h = await createHarness();
    const { key } = await h.tenant();
    return h.call("/v1/assessments", key, { method: "POST", json: body });
  };
  const pathsOf = async (res: Response) =>
    ((await res.json()) as ErrorBody).error.details.map((d) => d.path);

  it.each([
    ["a missing field", { ...home, buildingType: undefined }, "body.buildingType"],
    ["zero floor area", { ...home, heatedFloorAreaM2: 0 }, "body.heatedFloorAreaM2"],
    ["a negative U-value", { ...home, uValues: { wall: -0.5 } }, "body.uValues.wall"],
    ["an unknown field", { ...home, colour: "blue" }, "body"],
    [
      "an unknown prefecture",
      { ...home, location: { prefecture: "Atlantis" } },
      "body.location.prefecture",
    ],
    ["a future construction year", { ...home, constructionYear: 2030 }, "body.constructionYear"],
    [
      "windows larger than the walls",
      { ...home, geometry: { wallsM2: { S: 20, N: 20 }, windowsM2: { S: 30 } } },
      "body.geometry.windowsM2",
    ],
    [
      "a reference building that needs no energy (T = 0 / 0)",
      {
        location: { zone: "A" },
        buildingType: "apartment",
        apartmentPosition: "middle",
        constructionYear: 2020,
        heatedFloorAreaM2: 100,
        systems: {
          heating: { type: "oil_boiler" },
          cooling: { type: "split_units", coverage: 0 },
          hotWater: { type: "electric" },
        },
        occupancy: { heatingSetpointC: 10, dhwLitresPerPersonDay: 0 },
      },
      "body.occupancy.dhwLitresPerPersonDay",
    ],
    [
      "linear thermal bridges taking the transmission coefficient below zero",
      { ...home, thermalBridges: { linear: [{ psi: -1, lengthM: 100_000 }] } },
      "body.thermalBridges.linear",
    ],
  ])("400 for %s, naming the field", async (_name, body, path) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    const paths = await pathsOf(res);
    expect(
      paths.some(
        (p) => p === path || p.startsWith(`${path}.`) || (path === "body" && p.startsWith("body")),
      ),
      paths.join(),
    ).toBe(true);
  });

  it("answers 400 (never 500) to random and mutated bodies", async () => {
    const h = await createHarness({
      settings: { RATE_LIMIT_BURST: "100000", RATE_LIMIT_PER_S: "100000" },
    });
    const { key } = await h.tenant();
    const value = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.integer({ min: -1e6, max: 1e6 }),
      fc.double(),
      fc.string(),
      fc.boolean(),
      fc.constantFrom("Attica", "apartment", "oil_boiler", 1e308, -0, 2100),
    );
    const mutated = fc
      .record({
        path: fc.constantFrom(
          "location",
          "buildingType",
          "constructionYear",
          "heatedFloorAreaM2",
          "storeys",
          "systems",
          "geometry",
          "uValues",
          "windows",
          "occupancy",
          "location.prefecture",
          "systems.heating",
          "systems.heating.type",
        ),
        value,
      })
      .map(({ path, value }) => {
        const body = JSON.parse(JSON.stringify(home)) as Record<string, unknown>;
        const keys = path.split(".");
        let target = body;
        for (const k of keys.slice(0, -1)) {
          target[k] ??= {};
          target = target[k] as Record<string, unknown>;
        }
        target[keys.at(-1) as string] = value;
        return body;
      });
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated, fc.anything()), async (body) => {
        const res = await h.call("/v1/assessments", key, { method: "POST", json: body });
        if (![201, 400].includes(res.status))
          throw new Error(`status ${res.status} for ${JSON.stringify(body)}: ${await res.text()}`);
      }),
      { numRuns: 300 },
    );
    expect(h.logs.filter((l) => l.record.msg === "unhandled error")).toEqual([]);
  });

  it("needs the write scope to assess and finds nothing of other tenants", async () => {
    const h = await createHarness();
    const a = await h.tenant("A");
    const b = await h.tenant("B");
    const reader = (await (
      await h.call("/v1/api-keys", a.key, { method: "POST", json: { name: "r", scopes: ["read"] } })
    ).json()) as { key: string };
    expect(
      (await h.call("/v1/assessments", reader.key, { method: "POST", json: home })).status,
    ).toBe(403);
    const stored = (await (
      await h.call("/v1/assessments", a.key, { method: "POST", json: home })
    ).json()) as Stored;
    expect((await h.call(`/v1/assessments/${stored.id}`, b.key)).status).toBe(404);
    expect((await h.call(`/v1/assessments/${stored.id}`, reader.key)).status).toBe(200);
  });
});
