/**
 * From needs to delivered energy per carrier, primary energy, CO2 and cost: hot-water need and its
 * solar-thermal cover, heating and cooling system efficiencies (emission, distribution, generation),
 * PV production offsetting the home's electricity month by month.
 */
import type { BuildingModel, Systems } from "../model.ts";
import { daysInMonth, mainsWaterTempC } from "../reference/climate.ts";
import { residentialConditions, waterHeatCapacityWhLK } from "../reference/conditions.ts";
import { kenakFactors, realGridCo2KgPerKwh } from "../reference/factors.ts";
import {
  type Carrier,
  energyCarriers,
  pvPerformanceRatio,
  solarThermal,
} from "../reference/systems.ts";
import type { MonthBalance } from "./balance.ts";

export type ByCarrier = Record<Carrier, number>;
export const zeroCarriers = (): ByCarrier => ({
  electricity: 0,
  natural_gas: 0,
  heating_oil: 0,
  biomass: 0,
});

export interface EnergyResult {
  /** Monthly hot-water need and the part solar thermal covers, kWh. */
  hotWaterNeedKwh: number[];
  solarThermalKwh: number[];
  pvProductionKwh: number[];
  /** Annual delivered energy per carrier after the PV offset, kWh. */
  deliveredKwh: ByCarrier;
  /** Annual delivered energy per end use (before the PV offset), kWh. */
  deliveredByUseKwh: { heating: number; cooling: number; hotWater: number };
  /** Annual primary energy per end use, kWh (the PV offset is shared out to the electric uses). */
  primaryByUseKwh: { heating: number; cooling: number; hotWater: number; pvOffset: number };
  primaryKwh: number;
  co2KenakKg: number;
  co2RealGridKg: number;
  pvUsedKwh: number;
}

/** Monthly hot-water need, kWh: V x 1.163 Wh/(l K) x (45 °C - mains temperature). */
export function hotWaterNeed(model: BuildingModel): number[] {
  const mains = mainsWaterTempC[model.site.zone];
  const out: number[] = [];
  for (let m = 0; m < 12; m++) {
    const dT = residentialConditions.dhwTemperatureC - (mains[m] as number);
    out.push(
      (model.usage.dhwLitresPerDay * (daysInMonth[m] as number) * waterHeatCapacityWhLK * dT) /
        1000,
    );
  }
  return out;
}

export function deliveredEnergy(
  model: BuildingModel,
  months: MonthBalance[],
  dhwNeed: number[] = hotWaterNeed(model),
): EnergyResult {
  const s: Systems = model.systems;
  const irr = model.site.station.irradiationKwhM2;

  // Heating distribution losses are spread over the months with a heating need, by that need.
  let seasonNeed = 0;
  for (const mb of months) seasonNeed += mb.heatingNeedKwh;

  const delivered = zeroCarriers();
  const monthlyElectric: number[] = new Array(12).fill(0);
  const byUse = { heating: 0, cooling: 0, hotWater: 0 };
  const solarKwh: number[] = [];
  const pvKwh: number[] = [];
  for (let m = 0; m < 12; m++) {
    const mb = months[m] as MonthBalance;
    const h = s.heating;
    const dist = seasonNeed > 0 ? (h.distributionLossKwh * mb.heatingNeedKwh) / seasonNeed : 0;
    const heat =
      mb.heatingNeedKwh > 0
        ? (mb.heatingNeedKwh / h.emissionEfficiency + dist) / h.generationEfficiency
        : 0;
    const cool =
      (s.cooling.coverage * mb.coolingNeedKwh) / (s.cooling.emissionEfficiency * s.cooling.eer);
    const need = dhwNeed[m] as number;
    const solar = Math.min(
      solarThermal.systemEfficiency * s.solarCollectorM2 * (irr.tilt45S[m] as number),
      solarThermal.maxMonthlyFraction * need,
    );
    solarKwh.push(solar);
    const dhw = (need - solar) / s.hotWater.efficiency;
    delivered[h.carrier] += heat;
    delivered.electricity += cool;
    delivered[s.hotWater.carrier] += dhw;
    byUse.heating += heat;
    byUse.cooling += cool;
    byUse.hotWater += dhw;
    const elec =
      (h.carrier === "electricity" ? heat : 0) +
      cool +
      (s.hotWater.carrier === "electricity" ? dhw : 0);
    monthlyElectric[m] = elec;
    pvKwh.push(s.pv ? s.pv.peakKw * (irr[s.pv.plane][m] as number) * pvPerformanceRatio : 0);
  }
  let pvUsed = 0;
  for (let m = 0; m < 12; m++) pvUsed += Math.min(pvKwh[m] as number, monthlyElectric[m] as number);
  delivered.electricity -= pvUsed;

  let primary = 0;
  let co2Kenak = 0;
  let co2Real = 0;
  for (const c of energyCarriers) {
    primary += delivered[c] * kenakFactors[c].primary;
    co2Kenak += delivered[c] * kenakFactors[c].co2KgPerKwh;
    co2Real +=
      delivered[c] * (c === "electricity" ? realGridCo2KgPerKwh : kenakFactors[c].co2KgPerKwh);
  }
  const pe = (carrier: Carrier, kwh: number) => kwh * kenakFactors[carrier].primary;
  const pvPrimary = pvUsed * kenakFactors.electricity.primary;
  return {
    hotWaterNeedKwh: dhwNeed,
    solarThermalKwh: solarKwh,
    pvProductionKwh: pvKwh,
    deliveredKwh: delivered,
    deliveredByUseKwh: byUse,
    primaryByUseKwh: {
      heating: pe(s.heating.carrier, byUse.heating),
      cooling: pe("electricity", byUse.cooling),
      hotWater: pe(s.hotWater.carrier, byUse.hotWater),
      pvOffset: -pvPrimary,
    },
    primaryKwh: primary,
    co2KenakKg: co2Kenak,
    co2RealGridKg: co2Real,
    pvUsedKwh: pvUsed,
  };
}
