/**
 * A worked example computed by hand: a 1990s intermediate apartment in Athens with a gas boiler.
 *
 * Home: 80 m², one storey, heated dwellings above and below (no roof, no floor losses). Façades: 20 m²
 * north and 20 m² south, of which 4 m² and 6 m² are windows. Wall U 1.5, window U 4.9 and g 0.57,
 * old frames (11 m³/h per m² of window), heavy RC construction (280 kJ/m²K). Station Athens
 * (Ellinikon), zone B. January: θe = 10.3 °C, 31 days = 744 h; vertical irradiation N 19, S 95 kWh/m².
 *
 * Heat transfer coefficients
 *   opaque walls      (20-4) + (20-6) = 30 m² x (1.5 + 0.1 thermal bridges) = 48.0 W/K
 *   windows           10 m² x 4.9                                          = 49.0 W/K
 *   H_tr                                                                   = 97.0 W/K
 *   air               fresh air 0.75 x 80 = 60 m³/h + joints 11 x 10 = 110 m³/h = 170 m³/h
 *   H_ve              0.34 x 170                                           = 57.8 W/K
 *   C_m               280 kJ/m²K x 80 m² / 3.6                              = 6222.2 Wh/K
 *   tau               6222.2 / (97.0 + 57.8)                               = 40.195 h
 *   a_H               1 + 40.195 / 15                                      = 3.6797
 *
 * January balance (heating setpoint 20 °C, ΔT = 9.7 K)
 *   Q_tr              97.0 x 9.7 x 744 / 1000                              = 700.03 kWh
 *   Q_ve              57.8 x 9.7 x 744 / 1000                              = 417.13 kWh
 *   Q_int             (4 persons x 80 W x 0.75 + 80 m² x 4 W x 0.5) x 744 h = 400 W -> 297.60 kWh
 *   Q_sol windows     0.57 x 0.9 (F_w) x 0.75 (1 - frame) x 0.8 (shading)
 *                     x (4 x 19 + 6 x 95)                                  = 198.84 kWh
 *   Q_sol opaque      0.4 (α) x 0.04 (R_se) x 1.6 x (16 x 19 + 14 x 95)     = 41.83 kWh
 *   sky radiation     0.04 x (5 x 0.8) x 11 K x 0.5 x 48.0 W/K x 744 h      = -31.43 kWh
 *   Q_gn              297.60 + 198.84 + 41.83 - 31.43                      = 506.84 kWh
 *   γ_H               506.84 / 1117.16                                     = 0.45369
 *   η_H,gn            (1 - γ^3.6797) / (1 - γ^4.6797) = (1 - 0.05459) / (1 - 0.02477) = 0.96943
 *   continuous need   1117.16 - 0.96943 x 506.84                           = 625.82 kWh
 *   a_H,red (18 h/d)  1 - 3 x (15 / 40.195) x 0.45369 x (1 - 18/24)       = 0.87302
 *   Q_H,nd            0.87302 x 625.82                                     = 546.35 kWh
 *
 * January hot water: 4 persons x 50 l = 200 l/day; mains 10.4 °C (zone B)
 *   Q_W               200 x 31 x 1.163 x (45 - 10.4) / 1000                = 249.49 kWh
 *
 * Systems: gas boiler of 1995 (TABULA GR.B.Gen.14, e 1.18 -> η 0.8475), radiators 0.89, pipes inside
 * and uninsulated (pre-1996): 11.5 kWh/m² x 80 = 920 kWh a year; hot water from the boiler with a
 * 0.98 tank. Annual gas = (Σ Q_H,nd / 0.89 + 920) / 0.8475 + Σ Q_W / (0.8475 x 0.98).
 */
import { describe, expect, it } from "vitest";
import { assess } from "./index.ts";

const apartment = {
  location: { station: "athens" },
  buildingType: "apartment",
  apartmentPosition: "middle",
  constructionYear: 1995,
  heatedFloorAreaM2: 80,
  storeys: 1,
  geometry: { wallsM2: { N: 20, S: 20 }, windowsM2: { N: 4, S: 6 } },
  uValues: { wall: 1.5 },
  windows: { uValue: 4.9, glazingG: 0.57, airtight: false },
  thermalMass: "heavy",
  // No air conditioning (stated: left out, cooling would be estimated as the era's split units).
  systems: {
    heating: { type: "gas_boiler" },
    cooling: { type: "none" },
    hotWater: { type: "heating_system" },
  },
};

describe("worked example: 1990s apartment in Athens with gas heating", () => {
  const a = assess(apartment, { now: "2026-01-15T00:00:00Z" });
  const jan = a.needs.monthly[0];

  it("reproduces the heat transfer coefficients and time constant", () => {
    expect(a.heatTransfer.transmissionWK).toBeCloseTo(97.0, 6);
    expect(a.heatTransfer.ventilationWK).toBeCloseTo(57.8, 6);
    expect(a.heatTransfer.heatCapacityWhK).toBeCloseTo(6222.22, 1);
    expect(a.heatTransfer.timeConstantH).toBeCloseTo(40.195, 2);
  });

  it("reproduces January's balance step by step", () => {
    expect(jan?.transmissionKwh).toBeCloseTo(700.03, 1);
    expect(jan?.ventilationKwh).toBeCloseTo(417.13, 1);
    expect(jan?.internalGainsKwh).toBeCloseTo(297.6, 1);
    expect(jan?.solarGainsKwh).toBeCloseTo(198.84 + 41.83 - 31.43, 1);
    expect(jan?.gainUtilisation).toBeCloseTo(0.96943, 4);
    expect(jan?.heatingIntermittency).toBeCloseTo(0.87302, 4);
    expect(jan?.heatingNeedKwh).toBeCloseTo(546.35, 1);
    expect(jan?.hotWaterNeedKwh).toBeCloseTo(249.49, 1);
  });

  it("turns needs into gas with the boiler, emission and distribution efficiencies", () => {
    const heatingNeed = a.needs.heatingKwhM2 * 80;
    const hotWaterNeed = a.needs.hotWaterKwhM2 * 80;
    const boiler = 1 / 1.18;
    const expectedGas = (heatingNeed / 0.89 + 920) / boiler + hotWaterNeed / (boiler * 0.98);
    expect(a.delivered.byCarrierKwh.natural_gas).toBeCloseTo(expectedGas, 6);
    // Primary energy and KENAK CO2 per m² from the carriers.
    const e = a.delivered.byCarrierKwh;
    expect(a.primaryEnergy.kwhM2).toBeCloseTo((e.natural_gas * 1.05 + e.electricity * 2.9) / 80, 6);
    expect(a.co2.kenakKgM2).toBeCloseTo((e.natural_gas * 0.196 + e.electricity * 0.989) / 80, 6);
  });

  it("counts no heating outside zone B's heating months and no cooling outside its cooling months", () => {
    for (const m of a.needs.monthly) {
      if (![1, 2, 3, 4, 11, 12].includes(m.month)) expect(m.heatingNeedKwh).toBe(0);
      if (![5, 6, 7, 8, 9].includes(m.month)) expect(m.coolingNeedKwh).toBe(0);
    }
    // No AC: TOTEE's theoretical system (SEER 1.7, terminal 0.93) covers half the need in B.
    const cooling = a.needs.coolingKwhM2 * 80;
    expect(a.delivered.byUseKwh.cooling).toBeCloseTo((0.5 * cooling) / (0.93 * 1.7), 6);
  });
});
