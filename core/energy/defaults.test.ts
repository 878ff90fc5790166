/**
 * Defaults filled in for what the caller left out: the age of a declared heating generator without an
 * installation year, and prefectures of the KENAK table beyond the shared reference list.
 */
import { describe, expect, it } from "vitest";
import { type AssessmentInputRaw, assess } from "./index.ts";

const NOW = new Date("2026-01-15");

const house1985: AssessmentInputRaw = {
  location: { prefecture: "Thessaloniki" },
  buildingType: "detached_house",
  constructionYear: 1985,
  heatedFloorAreaM2: 120,
  systems: {
    heating: { type: "heat_pump_air_water" },
    cooling: { type: "split_units" },
    hotWater: { type: "electric" },
  },
};
const withHeating = (type: string, extra: object = {}): AssessmentInputRaw => ({
  ...house1985,
  systems: { ...house1985.systems, heating: { type, ...extra } as never },
});
const noted = (a: ReturnType<typeof assess>, field: string) =>
  a.assumptions.find((x) => x.field === field);

describe("heating generator without an installation year", () => {
  it("a declared air-to-water heat pump is a post-2010 unit, better than an oil boiler", () => {
    const hp = assess(house1985, { now: NOW });
    const oil = assess(withHeating("oil_boiler"), { now: NOW });
    expect(hp.primaryEnergy.kwhM2).toBeLessThan(oil.primaryEnergy.kwhM2);
    const year = noted(hp, "systems.heating.installedYear");
    expect(year).toMatchObject({ value: 2011, estimate: true });
    expect(year?.source).toMatch(/^ESTIMATE: air-to-water heat pumps .*after 2010/);
    // TABULA GR.HP.Gen.10 (after 2010): e 0.31.
    expect(noted(hp, "systems.heating.generationEfficiency")?.value).toBeCloseTo(1 / 0.31, 3);
    // A stated year still rules.
    const old = assess(withHeating("heat_pump_air_water", { installedYear: 1988 }), { now: NOW });
    expect(noted(old, "systems.heating.generationEfficiency")?.value).toBeCloseTo(1 / 0.588, 3);
    expect(noted(old, "systems.heating.installedYear")).toBeUndefined();
  });

  it("keeps the construction year when it is later than the default", () => {
    const a = assess({ ...house1985, constructionYear: 2018 }, { now: NOW });
    expect(noted(a, "systems.heating.installedYear")?.value).toBe(2018);
  });

  it("split units for heating take the same age as the same units for cooling", () => {
    const a = assess(withHeating("split_units"), { now: NOW });
    const heating = noted(a, "systems.heating.installedYear");
    expect(heating?.value).toBe(2001);
    expect(heating?.value).toBe(noted(a, "systems.cooling.installedYear")?.value);
    expect(heating?.estimate).toBe(true);
  });

  it("other generators keep the construction year", () => {
    const a = assess(withHeating("oil_boiler"), { now: NOW });
    expect(noted(a, "systems.heating.installedYear")?.value).toBe(1985);
  });
});

describe("prefectures completing the truncated zone-C list", () => {
  it.each(["Pieria", "Kilkis"])(
    "%s is zone C at the Thessaloniki station, with its source",
    (p) => {
      const a = assess({ ...house1985, location: { prefecture: p } }, { now: NOW });
      expect(a.location).toMatchObject({ zone: "C", station: "thessaloniki" });
      const zone = noted(a, "location.zone");
      expect(zone?.source).toMatch(/KENAK prefecture table/);
      expect(zone?.source).toMatch(/truncated zone-C list/);
      expect(zone?.estimate).toBe(false);
    },
  );
});
