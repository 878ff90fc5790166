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

  // Per-call constants hoisted: this runs once per upgrade option in the package search.
  const h = s.heating;
  const heatPerNeed = 1 / (h.emissionEfficiency * h.generationEfficiency);
  const distPerNeed =
    seasonNeed > 0 ? h.distributionLossKwh / seasonNeed / h.generationEfficiency : 0;
  const coolPerNeed = s.cooling.coverage / (s.cooling.emissionEfficiency * s.cooling.eer);
  const solarPerIrr = solarThermal.systemEfficiency * s.solarCollectorM2;
  const dhwPerNeed = 1 / s.hotWater.efficiency;
  const heatIsElectric = h.carrier === "electricity";
  const dhwIsElectric = s.hotWater.carrier === "electricity";
  const pvPlane = s.pv ? irr[s.pv.plane] : null;
  const pvPerIrr = s.pv ? s.pv.peakKw * pvPerformanceRatio : 0;
  const solarKwh: number[] = new Array(12);
  const pvKwh: number[] = new Array(12);
  let heatSum = 0;
  let coolSum = 0;
  let dhwSum = 0;
  // The electric demand as one sum over the months, the PV used against it in the same order: each
  // month's min(PV, demand) is at most that month's demand, so the PV used never exceeds the sum.
  let elecDemand = 0;
  let pvUsed = 0;
  for (let m = 0; m < 12; m++) {
    const qh = (months[m] as MonthBalance).heatingNeedKwh;
    const heat = qh > 0 ? qh * (heatPerNeed + distPerNeed) : 0;
    const cool = (months[m] as MonthBalance).coolingNeedKwh * coolPerNeed;
    const need = dhwNeed[m] as number;
    const solar =
      solarPerIrr > 0
        ? Math.min(solarPerIrr * (irr.tilt45S[m] as number), solarThermal.maxMonthlyFraction * need)
        : 0;
    solarKwh[m] = solar;
    const dhw = (need - solar) * dhwPerNeed;
    heatSum += heat;
    coolSum += cool;
    dhwSum += dhw;
    const elec = (heatIsElectric ? heat : 0) + cool + (dhwIsElectric ? dhw : 0);
    elecDemand += elec;
    const pv = pvPlane ? pvPerIrr * (pvPlane[m] as number) : 0;
    pvKwh[m] = pv;
    if (pv > 0) pvUsed += Math.min(pv, elec);
  }
  pvUsed = Math.min(pvUsed, elecDemand);
  const byUse = { heating: heatSum, cooling: coolSum, hotWater: dhwSum };
  // Electricity is the demand less the PV used (subtracting PV from a part of the demand, before
  // heating and hot water were added, left -1e-13 kWh where PV covered everything); the other
  // carriers take their end uses. No carrier goes below 0: the PV used is at most the demand (the
  // min above), and a floating-point x - y is never negative when y <= x; heating, cooling and hot
  // water are sums of non-negative monthly figures (solar covers at most 90% of a month's need).
  const delivered = zeroCarriers();
  delivered.electricity = elecDemand - pvUsed;
  if (!heatIsElectric) delivered[h.carrier] += heatSum;
  if (!dhwIsElectric) delivered[s.hotWater.carrier] += dhwSum;

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
