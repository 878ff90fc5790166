/**
 * Unknown is not none, and the class with its uncertainty: typical systems stand in for unknown ones,
 * `none` keeps the TOTEE rule, and the sampled class distribution behaves as promised in uncertainty.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAssessmentInput } from "./assess.ts";
import { type AssessmentInputRaw, assess } from "./index.ts";
import { type EnergyClass, energyClasses } from "./reference/classes.ts";
import { defaultPrices } from "./reference/prices.ts";
import { energyCarriers } from "./reference/systems.ts";
import { estimateRanges } from "./reference/typical.ts";
import { prefectureNames } from "./reference/zones.ts";
import { resolveModel } from "./resolve/index.ts";
import { completeInput } from "./resolve/typical.ts";
import { assessUncertainty, triangular, type UncertaintyOptions } from "./uncertainty.ts";

const NOW = "2026-03-01T00:00:00Z";
const prices = Object.fromEntries(energyCarriers.map((c) => [c, defaultPrices[c].eurPerKwh])) as {
  electricity: number;
  natural_gas: number;
  heating_oil: number;
  biomass: number;
};

/** What a homeowner knows: location, type, year, area. */
const minimalArb: fc.Arbitrary<AssessmentInputRaw> = fc.record({
  location: fc.constantFrom(...prefectureNames).map((prefecture) => ({ prefecture })),
  buildingType: fc.constantFrom("detached_house", "apartment", "apartment_block"),
  constructionYear: fc.integer({ min: 1950, max: 2025 }),
  heatedFloorAreaM2: fc.integer({ min: 40, max: 300 }),
});

const idx = (c: EnergyClass) => energyClasses.indexOf(c);

function uncertaintyOf(raw: AssessmentInputRaw, options: UncertaintyOptions = {}) {
  const { input, unknowns } = completeInput(parseAssessmentInput(raw), null);
  const model = resolveModel(input, null);
  return { unknowns, u: assessUncertainty(input, unknowns, model, prices, options) };
}

/** Variance of the class index over a class distribution. */
function classVariance(dist: { energyClass: EnergyClass; share: number }[]): number {
  let mean = 0;
  let sq = 0;
  for (const { energyClass, share } of dist) {
    mean += share * idx(energyClass);
    sq += share * idx(energyClass) ** 2;
  }
  return sq - mean * mean;
}

describe("unknown is not none", () => {
  const flat = {
    location: { prefecture: "Thessaloniki" },
    buildingType: "apartment",
    constructionYear: 1978,
    heatedFloorAreaM2: 85,
  } as const;

  it("estimates the cohort's typical systems, and keeps TOTEE's rule for a stated none", () => {
    const unknown = assess(flat, { now: NOW });
    const none = assess(
      {
        ...flat,
        storeys: 1,
        systems: {
          heating: { type: "none" },
          cooling: { type: "none" },
          hotWater: { type: "none" },
        },
      },
      { now: NOW },
    );
    const field = (a: typeof unknown, f: string) => a.assumptions.find((x) => x.field === f);
    expect(field(unknown, "systems.heating")).toMatchObject({
      value: "oil_boiler",
      estimate: true,
    });
    expect(field(unknown, "systems.cooling")).toMatchObject({
      value: "split_units",
      estimate: true,
    });
    expect(field(unknown, "systems.hotWater")).toMatchObject({ value: "electric", estimate: true });
    expect(field(none, "systems.heating")).toMatchObject({ estimate: false });
    expect(String(field(none, "systems.heating")?.value)).toContain("theoretical local electric");
    expect(idx(unknown.rating.energyClass)).toBeLessThan(idx(none.rating.energyClass));
  });

  it("uses gas where the prefecture's grid reaches and the caller's word over the prefecture", () => {
    const recentAthens: AssessmentInputRaw = {
      ...flat,
      location: { prefecture: "Attica" },
      constructionYear: 2015,
    };
    const field = (raw: AssessmentInputRaw) =>
      assess(raw, { now: NOW }).assumptions.find((a) => a.field === "systems.heating");
    expect(field(recentAthens)?.source).toContain("gas grid within reach");
    expect(field({ ...recentAthens, naturalGasAvailable: false })?.source).toContain("no gas grid");
    expect(field({ ...recentAthens, location: { prefecture: "Heraklion" } })?.source).toContain(
      "no gas grid",
    );
  });

  it("gives storeys a default by building type", () => {
    for (const [buildingType, storeys] of [
      ["detached_house", 2],
      ["apartment", 1],
      ["apartment_block", 4],
    ] as const) {
      const a = assess({ ...flat, buildingType }, { now: NOW });
      expect(a.assumptions.find((x) => x.field === "storeys")).toMatchObject({
        value: storeys,
        estimate: true,
      });
    }
  });

  it("declaring a system that needs no more primary energy for heating never worsens the class", () => {
    fc.assert(
      fc.property(
        minimalArb,
        fc.constantFrom(
          "oil_boiler",
          "gas_boiler",
          "gas_condensing_boiler",
          "heat_pump_air_water",
          "split_units",
          "direct_electric",
          "wood_stove",
        ),
        fc.integer({ min: 0, max: 30 }),
        (home, type, age) => {
          const unknown = assess(home, { now: NOW });
          const installedYear = Math.min(2025, home.constructionYear + age);
          const declared = assess(
            { ...home, systems: { heating: { type, installedYear } } },
            { now: NOW },
          );
          if (
            declared.primaryEnergy.byUseKwhM2.heating <= unknown.primaryEnergy.byUseKwhM2.heating
          ) {
            expect(idx(declared.rating.energyClass)).toBeLessThanOrEqual(
              idx(unknown.rating.energyClass),
            );
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("a newer generator of the same type never worsens the class", () => {
    fc.assert(
      fc.property(
        minimalArb,
        fc.constantFrom("oil_boiler", "gas_boiler", "heat_pump_air_water", "split_units"),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 40 }),
        (home, type, a, b) => {
          const year = (d: number) => Math.min(2025, home.constructionYear + d);
          const [older, newer] = [year(Math.min(a, b)), year(Math.max(a, b))];
          const cls = (installedYear: number) =>
            assess({ ...home, systems: { heating: { type, installedYear } } }, { now: NOW }).rating
              .energyClass;
          expect(idx(cls(newer))).toBeLessThanOrEqual(idx(cls(older)));
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("class with its uncertainty", () => {
  it("is deterministic for the same input and shares sum to one", () => {
    const home = {
      location: { prefecture: "Attica" },
      buildingType: "apartment",
      constructionYear: 1995,
      heatedFloorAreaM2: 90,
    } as const;
    const a = assess(home, { now: NOW, uncertainty: true }).uncertainty;
    const b = assess(home, { now: NOW, uncertainty: true }).uncertainty;
    expect(a).toEqual(b);
    expect(a?.classDistribution.reduce((s, c) => s + c.share, 0)).toBeCloseTo(1, 9);
    expect(a?.primaryEnergyKwhM2.p10).toBeLessThanOrEqual(a?.primaryEnergyKwhM2.p50 ?? 0);
    expect(a?.primaryEnergyKwhM2.p50).toBeLessThanOrEqual(a?.primaryEnergyKwhM2.p90 ?? 0);
    expect(a?.annualCostEur.p10).toBeLessThanOrEqual(a?.annualCostEur.p90 ?? 0);
    expect(a?.summary).toMatch(/^[A-Z+]+ \d+%/);
    const shares = a?.unknowns.map((u) => u.varianceShare) ?? [];
    expect(shares.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 9);
    expect(shares).toEqual([...shares].sort((x, y) => y - x));
    expect(assess(home, { now: NOW }).uncertainty).toBeUndefined();
  });

  it("has no system unknowns once every system is declared, and less spread", () => {
    const home = {
      location: { prefecture: "Larisa" },
      buildingType: "detached_house",
      constructionYear: 1985,
      heatedFloorAreaM2: 110,
    } as const;
    const open = assess(home, { now: NOW, uncertainty: true }).uncertainty;
    const declared = assess(
      {
        ...home,
        systems: {
          heating: { type: "oil_boiler" },
          cooling: { type: "split_units" },
          hotWater: { type: "electric" },
        },
      },
      { now: NOW, uncertainty: true },
    ).uncertainty;
    const fields = declared?.unknowns.map((u) => u.field) ?? [];
    expect(fields).not.toContain("systems.heating");
    expect(fields).not.toContain("systems.cooling");
    expect(fields).not.toContain("solarThermal");
    expect(open?.unknowns.map((u) => u.field)).toContain("systems.heating");
    const width = (u: typeof open) => (u ? u.ratio.p90 - u.ratio.p10 : 0);
    expect(width(declared)).toBeLessThan(width(open));
  });

  // Law of total variance: averaged over what may be declared (weighted by the shares), declaring an
  // unknown never widens the class spread. The sampled estimate may miss by sampling noise only.
  it("declaring an unknown never widens the class spread on average (law of total variance)", () => {
    fc.assert(
      fc.property(minimalArb, (home) => {
        // 1,200 samples per estimate; each variance carries sampling error, hence the tolerance
        // (15 % + 0.03 class²). Fixed seed: the same homes every run.
        const opts = { draws: 150, perDraw: 8 };
        const { unknowns, u } = uncertaintyOf(home, opts);
        const before = classVariance(u.classDistribution);
        const heating = unknowns.heating ?? [];
        let after = 0;
        heating.forEach(([, share], i) => {
          const fixed = uncertaintyOf(home, { ...opts, fixed: { "systems.heating": i } }).u;
          after += share * classVariance(fixed.classDistribution);
        });
        expect(after).toBeLessThanOrEqual(before * 1.15 + 0.03);
        // A continuous unknown, declared at each of five equal-probability values.
        let afterU = 0;
        for (let i = 0; i < 5; i++) {
          const f = triangular(estimateRanges.uValueFactor, (i + 0.5) / 5);
          const fixed = uncertaintyOf(home, { ...opts, fixed: { uValues: f } }).u;
          afterU += classVariance(fixed.classDistribution) / 5;
        }
        expect(afterU).toBeLessThanOrEqual(before * 1.15 + 0.03);
      }),
      { numRuns: 12, seed: 2026 },
    );
    // About 3 s on a quiet machine (12 homes x 7 estimates of 1,200 samples).
  }, 30_000);

  it("names the deterministic class as the distribution's mode for most homes", () => {
    const homes = fc.sample(minimalArb, { numRuns: 200, seed: 13 });
    let same = 0;
    let adjacent = 0;
    for (const home of homes) {
      const a = assess(home, { now: NOW, uncertainty: true });
      const mode = a.uncertainty?.modeClass as EnergyClass;
      if (mode === a.rating.energyClass) same++;
      else if (Math.abs(idx(mode) - idx(a.rating.energyClass)) === 1) adjacent++;
    }
    // Measured: 87.8 % and 87.9 % over two samples of 1,000 (README, Energy model); the rest one class off.
    expect(same / homes.length).toBeGreaterThanOrEqual(0.8);
    expect((same + adjacent) / homes.length).toBe(1);
  });
});

describe("the sampled U-values", () => {
  // Window U and airtightness declared: the only continuous unknowns left are the opaque elements'
  // U-values (the heat balance reads each element's own U, not the kind's mean), occupancy and the
  // window area.
  const home: AssessmentInputRaw = {
    location: { prefecture: "Thessaloniki" },
    buildingType: "detached_house",
    constructionYear: 1975,
    heatedFloorAreaM2: 110,
    windows: { uValue: 2.8, airtight: false },
  };
  const ep = (f: number) =>
    uncertaintyOf(home, { fixed: { uValues: f } }).u.primaryEnergyKwhM2.p50 as number;

  it("scale the walls, roof and floor whose U is estimated, so their range moves the result", () => {
    const low = ep(estimateRanges.uValueFactor.low);
    const high = ep(estimateRanges.uValueFactor.high);
    // A 1975 house with no insulation: the opaque envelope is most of its heat loss.
    expect(high).toBeGreaterThan(low * 1.15);
    const entry = uncertaintyOf(home).u.unknowns.find((u) => u.field === "uValues");
    expect(entry).toBeDefined();
    expect((entry?.ratioRange[1] ?? 0) - (entry?.ratioRange[0] ?? 0)).toBeGreaterThan(0.1);
  });

  it("leave a declared element's U alone", () => {
    const declared: AssessmentInputRaw = {
      ...home,
      uValues: { wall: 1.2, roof: 0.9, floor: 1.1 },
    };
    const u = uncertaintyOf(declared).u;
    // Every U declared (window included): nothing left to sample under that name.
    expect(u.unknowns.some((x) => x.field === "uValues")).toBe(false);
  });
});
