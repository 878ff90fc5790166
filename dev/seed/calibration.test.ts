/**
 * The default reference stock (`npm start` seeds homes 0..19,999 of seed 1) against the published
 * Greek EPC figures it is calibrated to: class shares within 5 points of E-H 65 %, C-D 32 %, A-B 3 %
 * (EnergyHub for All) and mean primary energy within 10 % of 415 kWh/m² for detached houses and 265
 * for apartments (YPEN EPC statistics 2011-2019 via bbk.gr). Deterministic: the same homes every run.
 */
import { describe, expect, it } from "vitest";
import { generateHomes } from "./generate.ts";

describe("default reference stock", () => {
  it("reproduces the published class shares and mean primary energy", () => {
    const homes = generateHomes(1, 0, 20_000, "2026-01-01T00:00:00Z");
    const share = (classes: string[]) =>
      (100 * homes.filter((h) => classes.includes(h.energyClass)).length) / homes.length;
    const mean = (type: string) => {
      const of = homes.filter((h) => h.buildingType === type);
      return of.reduce((a, h) => a + h.primaryEnergyKwhM2, 0) / of.length;
    };
    expect(Math.abs(share(["E", "Z", "H"]) - 65)).toBeLessThanOrEqual(5);
    expect(Math.abs(share(["C", "D"]) - 32)).toBeLessThanOrEqual(5);
    expect(Math.abs(share(["A+", "A", "B+", "B"]) - 3)).toBeLessThanOrEqual(5);
    expect(Math.abs(mean("detached_house") / 415 - 1)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(mean("apartment") / 265 - 1)).toBeLessThanOrEqual(0.1);
  }, 120_000);
});
