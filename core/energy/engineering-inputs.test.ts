/**
 * Engineering inputs (air tightness, thermal bridges, internal gains, shading, opaque elements one by
 * one, fractional storeys): each is optional, leaves the result unchanged when absent, and moves the
 * result in the direction the physics says. Reference building: a 1985 two-storey house of 120 m² in
 * Thessaloniki (zone C) with an oil boiler, split units and an electric water heater.
 */
import { describe, expect, it } from "vitest";
import { heatTransfer } from "./calc/balance.ts";
import {
  type AssessmentInputRaw,
  applyUpgrade,
  assess,
  assessmentInputSchema,
  EnergyInputError,
  parseAssessmentInput,
} from "./index.ts";
import { infiltrationFromN50 } from "./reference/envelope.ts";
import { resolveModel } from "./resolve/index.ts";

const NOW = "2026-03-01T00:00:00Z";

const referenceHouse = {
  location: { prefecture: "Thessaloniki" },
  buildingType: "detached_house",
  constructionYear: 1985,
  heatedFloorAreaM2: 120,
  storeys: 2,
  systems: {
    heating: { type: "oil_boiler", installedYear: 2005 },
    cooling: { type: "split_units", installedYear: 2015 },
    hotWater: { type: "electric" },
  },
} satisfies AssessmentInputRaw;

const run = (patch: Partial<AssessmentInputRaw> = {}) =>
  assess({ ...referenceHouse, ...patch }, { now: NOW });
const model = (patch: Partial<AssessmentInputRaw> = {}) =>
  resolveModel(parseAssessmentInput({ ...referenceHouse, ...patch }), null);
const base = run();

function rejects(patch: Partial<AssessmentInputRaw>, path: string) {
  try {
    run(patch);
  } catch (err) {
    expect(err).toBeInstanceOf(EnergyInputError);
    expect((err as EnergyInputError).issues.map((i) => i.path.join("."))).toContain(path);
    return;
  }
  throw new Error(`expected ${path} to be rejected`);
}

describe("air tightness", () => {
  it("a leakier home (more air changes per hour) needs more heating", () => {
    const tight = run({ airtightness: { infiltrationAch: 0.2 } });
    const leaky = run({ airtightness: { infiltrationAch: 1.0 } });
    expect(leaky.heatTransfer.ventilationWK).toBeGreaterThan(tight.heatTransfer.ventilationWK);
    expect(leaky.needs.heatingKwhM2).toBeGreaterThan(tight.needs.heatingKwhM2);
    expect(leaky.primaryEnergy.kwhM2).toBeGreaterThan(tight.primaryEnergy.kwhM2);
    // H_ve = 0.34 x (fresh air 0.75 m³/h·m² x 120 m² + ACH x 120 m² x 2.8 m).
    expect(leaky.heatTransfer.ventilationWK).toBeCloseTo(0.34 * (90 + 1.0 * 336), 9);
  });

  it("converts n50 with the EN 12831 shielding coefficient; more shielding, less heating", () => {
    expect(infiltrationFromN50(10, "moderate")).toBeCloseTo(0.4, 12);
    const exposed = run({ airtightness: { n50: 8, shielding: "none" } });
    const moderate = run({ airtightness: { n50: 8 } });
    const sheltered = run({ airtightness: { n50: 8, shielding: "heavy" } });
    expect(exposed.needs.heatingKwhM2).toBeGreaterThan(moderate.needs.heatingKwhM2);
    expect(moderate.needs.heatingKwhM2).toBeGreaterThan(sheltered.needs.heatingKwhM2);
    const tighter = run({ airtightness: { n50: 3 } });
    expect(tighter.needs.heatingKwhM2).toBeLessThan(moderate.needs.heatingKwhM2);
    expect(
      moderate.assumptions.find((a) => a.field === "airtightness.infiltrationAch"),
    ).toMatchObject({ value: 0.32, estimate: true });
  });

  it("refuses both ACH and n50, and a shielding class without n50", () => {
    rejects({ airtightness: { infiltrationAch: 0.5, n50: 4 } }, "airtightness.n50");
    rejects({ airtightness: { shielding: "heavy" } }, "airtightness.shielding");
  });
});

describe("thermal bridges", () => {
  it("a larger allowance raises the transmission coefficient and the heating need", () => {
    const small = run({ thermalBridges: { deltaU: 0.05 } });
    const large = run({ thermalBridges: { deltaU: 0.25 } });
    expect(small.heatTransfer.transmissionWK).toBeLessThan(base.heatTransfer.transmissionWK);
    expect(large.heatTransfer.transmissionWK).toBeGreaterThan(base.heatTransfer.transmissionWK);
    expect(large.needs.heatingKwhM2).toBeGreaterThan(small.needs.heatingKwhM2);
  });

  it("linear psi-values add psi x length and replace the default allowance", () => {
    const m = model();
    const withoutBridges = heatTransfer({
      ...m,
      envelope: { ...m.envelope, thermalBridgeDeltaU: 0 },
    }).transmissionWK;
    const linear = [
      { psi: 0.5, lengthM: 40, label: "balcony slabs" },
      { psi: 0.15, lengthM: 60, label: "window reveals" },
    ];
    const a = run({ thermalBridges: { linear } });
    expect(a.heatTransfer.transmissionWK).toBeCloseTo(withoutBridges + 0.5 * 40 + 0.15 * 60, 9);
    const worse = run({
      thermalBridges: {
        linear: [
          { psi: 0.9, lengthM: 40 },
          { psi: 0.15, lengthM: 60 },
        ],
      },
    });
    expect(worse.needs.heatingKwhM2).toBeGreaterThan(a.needs.heatingKwhM2);
    // Both together: the allowance applies on top of the linear bridges.
    const both = run({ thermalBridges: { linear, deltaU: 0.1 } });
    expect(both.heatTransfer.transmissionWK).toBeGreaterThan(a.heatTransfer.transmissionWK);
  });

  it("better thermal bridges improve the class ratio (the reference keeps the TOTEE allowance)", () => {
    const good = run({ thermalBridges: { deltaU: 0 } });
    expect(good.rating.ratio).toBeLessThan(base.rating.ratio);
    expect(good.rating.referenceBuilding.primaryEnergyKwhM2).toBeCloseTo(
      base.rating.referenceBuilding.primaryEnergyKwhM2,
      9,
    );
  });
});

describe("negative linear thermal bridges", () => {
  // psi may be negative (external dimensions count the corners twice), down to -1 W/(m·K) over up to
  // 200 x 100,000 m: enough to take the transmission coefficient to zero or below, where the monthly
  // method has no meaning (a negative time constant, no heating need, class A for an oil-heated house).
  const zoneD = (year: number): AssessmentInputRaw => ({
    location: { zone: "D" },
    buildingType: "detached_house",
    constructionYear: year,
    heatedFloorAreaM2: 100,
    systems: {
      heating: { type: "oil_boiler" },
      cooling: { type: "none" },
      hotWater: { type: "electric" },
    },
  });
  const bridges = (lengthM: number) => ({ thermalBridges: { linear: [{ psi: -1, lengthM }] } });
  const refusedAt = (raw: unknown, options: { uncertainty?: boolean } = {}) => {
    try {
      assess(raw, { now: NOW, ...options });
    } catch (err) {
      expect(err).toBeInstanceOf(EnergyInputError);
      return (err as EnergyInputError).issues.map((i) => i.path.join("."));
    }
    return [];
  };

  it("refuses bridges that bring the transmission coefficient to zero or below", () => {
    const home = zoneD(2020);
    const htr = (raw: AssessmentInputRaw) =>
      heatTransfer(resolveModel(parseAssessmentInput(raw), null)).transmissionWK;
    const withoutBridges = htr({ ...home, thermalBridges: { deltaU: 0 } });
    expect(withoutBridges).toBeGreaterThan(100);
    expect(withoutBridges).toBeLessThan(200);
    expect(refusedAt({ ...home, ...bridges(200) })).toEqual(["thermalBridges.linear"]);
    expect(refusedAt({ ...home, ...bridges(100_000) })).toEqual(["thermalBridges.linear"]);
    // Exactly to zero is refused too; just above it is a (strange but physical) home.
    const justAbove = assess({ ...home, ...bridges(withoutBridges - 1) }, { now: NOW });
    expect(justAbove.heatTransfer.transmissionWK).toBeCloseTo(1, 6);
    expect(justAbove.heatTransfer.timeConstantH).toBeGreaterThan(0);
    expect(refusedAt({ ...home, ...bridges(withoutBridges) })).toEqual(["thermalBridges.linear"]);
    // With the class distribution asked for, the sampled variants (window area and U) must stay
    // above zero too: 1 W/K is not enough room.
    expect(refusedAt({ ...home, ...bridges(withoutBridges - 1) }, { uncertainty: true })).toEqual([
      "thermalBridges.linear",
    ]);
    const roomy = assess({ ...home, ...bridges(50) }, { now: NOW, uncertainty: true });
    expect(roomy.uncertainty?.ratio.p10).toBeGreaterThan(0);
  });

  it("offers no upgrade that the bridges would take below zero", () => {
    // Accepted as it is; with its walls insulated the same bridges exceed the walls' transmission.
    const home = { ...zoneD(1975), ...bridges(400) };
    const a = assess(home, { now: NOW });
    expect(a.heatTransfer.transmissionWK).toBeGreaterThan(0);
    expect(refusedAt(applyUpgrade(home, ["wall_insulation"], { now: NOW }))).toEqual([
      "thermalBridges.linear",
    ]);
    const r = a.recommendations;
    const offered = [...r.measures, ...r.packages, r.cheapestEligible, r.cheapestClassB].filter(
      (o) => o !== null,
    );
    expect(offered.length).toBeGreaterThan(0);
    for (const o of offered) {
      expect(o.measures).not.toContain("wall_insulation");
      const upgraded = assess(applyUpgrade(home, o.measures, { now: NOW }), { now: NOW });
      expect(upgraded.primaryEnergy.kwhM2).toBeCloseTo(o.primaryEnergyKwhM2, 6);
      expect(upgraded.heatTransfer.transmissionWK).toBeGreaterThan(0);
    }
  });
});

describe("internal gains", () => {
  it("more internal gains: less heating, more cooling", () => {
    const low = run({ occupancy: { internalGainsWPerM2: 2 } });
    const high = run({ occupancy: { internalGainsWPerM2: 10 } });
    expect(high.needs.heatingKwhM2).toBeLessThan(low.needs.heatingKwhM2);
    expect(high.needs.coolingKwhM2).toBeGreaterThan(low.needs.coolingKwhM2);
    // The TOTEE default is 5 W/m²: giving it explicitly changes nothing.
    const explicit = run({ occupancy: { internalGainsWPerM2: 5 } });
    expect(explicit.needs.heatingKwhM2).toBeCloseTo(base.needs.heatingKwhM2, 9);
  });
});

describe("shading", () => {
  it("winter shading cuts solar gains in the heating season only", () => {
    const open = run({ windows: { winterShading: 1 } });
    const shaded = run({ windows: { winterShading: 0.4 } });
    expect(shaded.needs.heatingKwhM2).toBeGreaterThan(open.needs.heatingKwhM2);
    expect(shaded.needs.coolingKwhM2).toBeCloseTo(open.needs.coolingKwhM2, 9);
  });

  it("summer shading cuts the cooling need and leaves heating alone", () => {
    const open = run({ windows: { summerShading: 1 } });
    const shaded = run({ windows: { summerShading: 0.3 } });
    expect(shaded.needs.coolingKwhM2).toBeLessThan(open.needs.coolingKwhM2);
    expect(shaded.needs.heatingKwhM2).toBeCloseTo(open.needs.heatingKwhM2, 9);
    expect(shaded.primaryEnergy.kwhM2).toBeLessThan(open.primaryEnergy.kwhM2);
  });
});

describe("opaque elements one by one", () => {
  const m = model();
  const wallsAsElements = (
    [
      ["N", m.geometry.wallsM2.N],
      ["E", m.geometry.wallsM2.E_W / 2],
      ["W", m.geometry.wallsM2.E_W / 2],
      ["S", m.geometry.wallsM2.S],
    ] as const
  ).map(([orientation, areaM2]) => ({ type: "wall" as const, areaM2, orientation }));
  const windowsM2 = { N: m.geometry.windowsM2.N, E: m.geometry.windowsM2.E_W / 2 };
  const windows = { ...windowsM2, W: windowsM2.E, S: m.geometry.windowsM2.S };

  it("the derived walls given as elements reproduce the default result", () => {
    const a = run({ elements: wallsAsElements, geometry: { windowsM2: windows } });
    expect(a.heatTransfer.transmissionWK).toBeCloseTo(base.heatTransfer.transmissionWK, 9);
    expect(a.needs.heatingKwhM2).toBeCloseTo(base.needs.heatingKwhM2, 9);
    expect(a.needs.coolingKwhM2).toBeCloseTo(base.needs.coolingKwhM2, 9);
    expect(a.rating.ratio).toBeCloseTo(base.rating.ratio, 9);
  });

  it("each element keeps its own U: a worse wall raises the heating need", () => {
    const walls = wallsAsElements.map((w) => (w.orientation === "N" ? { ...w, uValue: 3 } : w));
    const a = run({ elements: walls, geometry: { windowsM2: windows } });
    expect(a.needs.heatingKwhM2).toBeGreaterThan(base.needs.heatingKwhM2);
  });

  it("orientation: the same wall facing south absorbs more sun than facing north", () => {
    const wall = (orientation: "N" | "S") => ({
      elements: [{ type: "wall" as const, areaM2: 150, uValue: 2, orientation }],
      geometry: { windowsM2: { S: 15 } },
    });
    expect(run(wall("S")).needs.heatingKwhM2).toBeLessThan(run(wall("N")).needs.heatingKwhM2);
  });

  it("adjacency: outside > unheated (b 0.5) > unheated with a lower b or an extra resistance", () => {
    const floor = (extra: Record<string, unknown>) =>
      run({ elements: [{ type: "floor", areaM2: 60, uValue: 2.5, ...extra }] }).heatTransfer
        .transmissionWK;
    const outside = floor({ adjacency: "outside" });
    const unheated = floor({ adjacency: "unheated" });
    const sheltered = floor({ adjacency: "unheated", b: 0.3 });
    const resistance = floor({ adjacency: "unheated", extraResistanceM2KW: 0.5 });
    const ground = floor({ adjacency: "ground" });
    expect(outside).toBeGreaterThan(unheated);
    expect(unheated).toBeGreaterThan(sheltered);
    expect(outside - unheated).toBeCloseTo(60 * 0.5 * (2.5 + 0.1), 9);
    // Extra resistance R: U' = 1 / (1/U + R) = 1 / (0.4 + 0.5) = 1.111, b = 1.
    expect(outside - resistance).toBeCloseTo(60 * (2.5 - 1 / 0.9), 9);
    expect(ground).toBeCloseTo(unheated, 9);
  });

  it("two floors of a house, one on the ground and one over a pilotis, each count", () => {
    const a = run({
      elements: [
        { type: "floor", areaM2: 40, adjacency: "ground" },
        { type: "floor", areaM2: 20, adjacency: "outside", uValue: 2.9 },
      ],
    });
    expect(a.needs.heatingKwhM2).toBeGreaterThan(base.needs.heatingKwhM2);
  });

  it("insulation measures improve the caller's elements and match a fresh assessment", () => {
    const home = {
      ...referenceHouse,
      elements: [
        { type: "wall" as const, areaM2: 90, uValue: 1.6, orientation: "S" as const },
        { type: "wall" as const, areaM2: 60, uValue: 0.3, orientation: "N" as const },
        { type: "roof" as const, areaM2: 60, uValue: 2.0 },
        { type: "floor" as const, areaM2: 60, adjacency: "unheated" as const, uValue: 2.2 },
      ],
    };
    const a = assess(home, { now: NOW });
    const wall = a.recommendations.measures.find((o) => o.id === "wall_insulation");
    expect(wall?.costBasis[0]?.basis).toMatch(/^90 m² wall/);
    for (const o of a.recommendations.measures) {
      const upgraded = applyUpgrade(home, o.measures, { now: NOW });
      if (o.id === "wall_insulation") {
        expect(upgraded.elements?.map((e) => e.uValue)).toEqual([0.4, 0.3, 2.0, 2.2]);
      }
      const fresh = assess(upgraded, { now: NOW });
      expect(fresh.primaryEnergy.kwhM2).toBeCloseTo(o.primaryEnergyKwhM2, 6);
    }
    expect(a.recommendations.measures.map((o) => o.id)).toEqual(
      expect.arrayContaining(["wall_insulation", "roof_insulation", "floor_insulation"]),
    );
  });

  it("refuses contradictory elements", () => {
    rejects(
      { elements: [{ type: "roof", areaM2: 10, orientation: "S" }] },
      "elements.0.orientation",
    );
    rejects(
      { elements: [{ type: "roof", areaM2: 10, adjacency: "ground" }] },
      "elements.0.adjacency",
    );
    rejects({ elements: [{ type: "wall", areaM2: 10, b: 0.5 }] }, "elements.0.b");
    rejects(
      {
        elements: [
          { type: "floor", areaM2: 10, adjacency: "unheated", b: 0.5, extraResistanceM2KW: 0.3 },
        ],
      },
      "elements.0.extraResistanceM2KW",
    );
    rejects(
      { elements: [{ type: "wall", areaM2: 10 }], geometry: { wallsM2: { N: 10 } } },
      "geometry.wallsM2",
    );
  });
});

describe("fractional storeys", () => {
  it("a storey and a half lies between one and two storeys", () => {
    const one = model({ storeys: 1 });
    const half = model({ storeys: 1.5 });
    const two = model({ storeys: 2 });
    expect(half.geometry.roofM2).toBeCloseTo(120 / 1.5, 9);
    expect(half.geometry.roofM2).toBeLessThan(one.geometry.roofM2);
    expect(half.geometry.roofM2).toBeGreaterThan(two.geometry.roofM2);
    const wall = (x: typeof one) =>
      x.geometry.wallsM2.N + x.geometry.wallsM2.E_W + x.geometry.wallsM2.S;
    expect(wall(half)).toBeGreaterThan(wall(one));
    expect(wall(half)).toBeLessThan(wall(two));
    const h = (patch: Partial<AssessmentInputRaw>) => run(patch).heatTransfer.transmissionWK;
    // This house loses most through its roof and ground floor: more storeys, a smaller envelope.
    expect(h({ storeys: 1.5 })).toBeLessThan(h({ storeys: 1 }));
    expect(h({ storeys: 1.5 })).toBeGreaterThan(h({ storeys: 2 }));
  });
});

describe("defaults unchanged when the engineering inputs are absent", () => {
  it("empty option objects give the default result", () => {
    const a = run({ thermalBridges: {}, airtightness: {}, occupancy: {}, windows: {} });
    expect(a.primaryEnergy.kwhM2).toBeCloseTo(base.primaryEnergy.kwhM2, 9);
  });
});

describe("inputs that describe no building", () => {
  it("refuses envelope areas far beyond the heated floor, however they are given", () => {
    // Windows come on top of wall elements (opaque areas), so no façade check caught these.
    rejects(
      {
        elements: [{ type: "wall", areaM2: 1, orientation: "S" }],
        geometry: { windowsM2: { S: 1_000_000, N: 1_000_000 } },
      },
      "elements",
    );
    rejects(
      {
        heatedFloorAreaM2: 10,
        elements: Array.from({ length: 100 }, () => ({
          type: "wall" as const,
          areaM2: 100_000,
          orientation: "S" as const,
        })),
      },
      "elements",
    );
    rejects({ geometry: { wallsM2: { N: 5_000, S: 5_000 } } }, "geometry");
    // A compact house well inside the bound is assessed.
    expect(
      run({ geometry: { wallsM2: { N: 60, E: 40, S: 60, W: 40 }, windowsM2: { S: 12, N: 6 } } })
        .primaryEnergy.kwhM2,
    ).toBeGreaterThan(0);
  });

  it("reports a refused floor area alone, not as an envelope or occupancy beyond it", () => {
    const parsed = assessmentInputSchema.safeParse({
      ...referenceHouse,
      heatedFloorAreaM2: -5,
      occupancy: { persons: 4 },
    });
    expect(parsed.success).toBe(false);
    if (!parsed.success)
      expect(parsed.error.issues.map((i) => i.path.join("."))).toEqual(["heatedFloorAreaM2"]);
  });

  it("refuses more than one person per 2 m² of heated floor", () => {
    rejects({ heatedFloorAreaM2: 10, occupancy: { persons: 10_000 } }, "occupancy.persons");
    rejects({ occupancy: { persons: 61 } }, "occupancy.persons");
    expect(run({ occupancy: { persons: 60 } }).primaryEnergy.kwhM2).toBeGreaterThan(0);
  });
});
