/**
 * The monthly quasi-steady-state heat balance of ISO 13790 (EN ISO 52016-1 monthly method) as adopted
 * by TOTEE 20701-1: transmission and ventilation heat transfer, solar and internal gains, the gain
 * utilisation factor from the building time constant, intermittent operation, and heating and cooling
 * needs over the zone's residential heating and cooling months.
 */
import type { BuildingModel, OrientationClass } from "../model.ts";
import { daysInMonth } from "../reference/climate.ts";
import { airHeatCapacityWhM3K, iso13790, skyRadiation } from "../reference/conditions.ts";
import { glazing, opaqueAbsorptance, opaqueEmissivity } from "../reference/envelope.ts";
import { coolingMonths, heatingMonths } from "../reference/zones.ts";

const CLASSES: readonly OrientationClass[] = ["N", "NE_NW", "E_W", "SE_SW", "S"];

export interface HeatTransfer {
  /** Transmission heat transfer coefficient H_tr, W/K (thermal bridges and b-factors included). */
  transmissionWK: number;
  /** Ventilation heat transfer coefficient H_ve, W/K. */
  ventilationWK: number;
  /** Internal heat capacity C_m, Wh/K. */
  heatCapacityWhK: number;
  /** Building time constant tau, h. */
  timeConstantH: number;
}

export interface MonthBalance {
  month: number;
  heatingSeason: boolean;
  coolingSeason: boolean;
  /** Heating mode (setpoint theta_int,H): heat transfer and gains, kWh. */
  transmissionKwh: number;
  ventilationKwh: number;
  internalGainsKwh: number;
  solarGainsKwh: number;
  gainUtilisation: number;
  heatingIntermittency: number;
  heatingNeedKwh: number;
  /** Cooling mode (setpoint theta_int,C), kWh. */
  coolingHeatTransferKwh: number;
  coolingGainsKwh: number;
  lossUtilisation: number;
  coolingIntermittency: number;
  coolingNeedKwh: number;
}

export function heatTransfer(model: BuildingModel): HeatTransfer {
  const { geometry: g, envelope: e, usage } = model;
  const dU = e.thermalBridgeDeltaU;
  let windows = 0;
  for (const c of CLASSES) windows += g.windowsM2[c];
  // TOTEE: the thermal-bridge allowance is added to U before the b-factor applies.
  let opaque = 0;
  for (const el of e.elements) opaque += el.areaM2 * el.b * (el.u + dU);
  const transmissionWK = opaque + windows * e.uWindow + e.linearBridgesWK;
  const airM3h = usage.freshAirM3h + (e.infiltrationM3h ?? e.windowInfiltrationM3hPerM2 * windows);
  const ventilationWK = airHeatCapacityWhM3K * airM3h;
  const heatCapacityWhK = (e.heatCapacityKjM2K * 1000 * g.floorAreaM2) / 3600;
  return {
    transmissionWK,
    ventilationWK,
    heatCapacityWhK,
    timeConstantH: heatCapacityWhK / (transmissionWK + ventilationWK),
  };
}

/** ISO 13790 eq. (51)-(53): heating gain utilisation factor. */
export function gainUtilisation(gamma: number, a: number): number {
  if (gamma <= 0) return 1;
  if (Math.abs(gamma - 1) < 1e-9) return a / (a + 1);
  const direct = (1 - gamma ** a) / (1 - gamma ** (a + 1));
  if (Number.isFinite(direct)) return direct;
  // gamma ** a overflowed (gains vastly above tiny losses): the same ratio divided by gamma ** (a + 1).
  return (gamma ** -(a + 1) - 1 / gamma) / (gamma ** -(a + 1) - 1);
}

/** ISO 13790 eq. (124)-(126): cooling loss utilisation factor, gamma = gains / losses. */
export function lossUtilisation(gamma: number, a: number): number {
  if (gamma <= 0) return 1;
  if (Math.abs(gamma - 1) < 1e-9) return a / (a + 1);
  const direct = (1 - gamma ** -a) / (1 - gamma ** -(a + 1));
  if (Number.isFinite(direct)) return direct;
  // gamma ** -a overflowed (losses vastly above tiny gains): the same ratio times gamma ** (a + 1).
  return (gamma ** (a + 1) - gamma) / (gamma ** (a + 1) - 1);
}

export function monthlyBalance(
  model: BuildingModel,
  ht: HeatTransfer = heatTransfer(model),
): MonthBalance[] {
  const { site, geometry: g, envelope: e, usage } = model;
  const irr = site.station.irradiationKwhM2;
  const temps = site.station.meanAirTempC;
  const heating = heatingMonths[site.zone];
  const cooling = coolingMonths[site.zone];
  const H = ht.transmissionWK + ht.ventilationWK;
  const a = iso13790.a0 + ht.timeConstantH / iso13790.tau0H;
  const f = usage.operatingFraction;
  const redSlope = iso13790.bRed * (iso13790.tau0H / ht.timeConstantH) * (1 - f);

  // Window solar aperture per orientation class (m²): F_w x g_n x (1 - F_F) x A_w.
  const aperture = e.glazingG * glazing.fW * (1 - e.frameFraction);
  const dU = e.thermalBridgeDeltaU;
  const rSe = skyRadiation.rSe;
  const hr = skyRadiation.hrPerEmissivity * opaqueEmissivity;
  // Opaque elements: absorbed solar (alpha R_se U A) and long-wave loss to the sky (F_r R_se U A h_r dθ).
  // Opaque elements in the sun, UA by orientation (W/K): absorbed solar and sky radiation.
  let roofUA = 0;
  const wallUA: Record<OrientationClass, number> = { N: 0, NE_NW: 0, E_W: 0, SE_SW: 0, S: 0 };
  for (const el of e.elements) {
    if (el.sun === null) continue;
    const ua = el.areaM2 * (el.u + dU);
    if (el.sun === "horizontal") roofUA += ua;
    else wallUA[el.sun] += ua;
  }
  let wallUATotal = 0;
  for (const c of CLASSES) wallUATotal += wallUA[c];
  const skyLossW = rSe * hr * skyRadiation.deltaThetaSkyK * (roofUA + 0.5 * wallUATotal);

  const months: MonthBalance[] = [];
  for (let m = 0; m < 12; m++) {
    const hours = (daysInMonth[m] as number) * 24;
    const thetaE = temps[m] as number;
    let windowWinter = 0;
    let windowSummer = 0;
    let opaque = opaqueAbsorptance * rSe * roofUA * (irr.horizontal[m] as number);
    for (const c of CLASSES) {
      const i = irr[c][m] as number;
      windowWinter += g.windowsM2[c] * i * e.winterShading;
      windowSummer += g.windowsM2[c] * i * e.summerShading[c];
      opaque += opaqueAbsorptance * rSe * wallUA[c] * i;
    }
    const opaqueNet = opaque - (skyLossW * hours) / 1000;
    const internalGainsKwh = (usage.internalGainsW * hours) / 1000;
    const solarWinter = aperture * windowWinter + opaqueNet;
    const solarSummer = aperture * windowSummer + opaqueNet;

    const transmissionKwh = (ht.transmissionWK * (usage.setpointHeatingC - thetaE) * hours) / 1000;
    const ventilationKwh = (ht.ventilationWK * (usage.setpointHeatingC - thetaE) * hours) / 1000;
    const lossH = transmissionKwh + ventilationKwh;
    const gainsH = internalGainsKwh + solarWinter;
    const heatingSeason = heating.includes(m + 1);
    let gammaH = lossH > 0 ? gainsH / lossH : -1;
    const etaH = lossH > 0 ? gainUtilisation(gammaH, a) : 0;
    if (gammaH < 0) gammaH = 0;
    const aRedH = Math.min(1, Math.max(f, 1 - redSlope * gammaH));
    const heatingNeedKwh =
      heatingSeason && lossH > 0 ? aRedH * Math.max(0, lossH - etaH * gainsH) : 0;

    const lossC = (H * (usage.setpointCoolingC - thetaE) * hours) / 1000;
    const gainsC = internalGainsKwh + solarSummer;
    const coolingSeason = cooling.includes(m + 1);
    const gammaC = lossC > 0 ? gainsC / lossC : -1;
    const etaC = lossUtilisation(gammaC, a);
    const lambda = gammaC > 0 ? 1 / gammaC : 0;
    const aRedC = Math.min(1, Math.max(f, 1 - redSlope * lambda));
    const coolingNeedKwh = coolingSeason ? aRedC * Math.max(0, gainsC - etaC * lossC) : 0;

    months.push({
      month: m + 1,
      heatingSeason,
      coolingSeason,
      transmissionKwh,
      ventilationKwh,
      internalGainsKwh,
      solarGainsKwh: solarWinter,
      gainUtilisation: etaH,
      heatingIntermittency: heatingSeason ? aRedH : 1,
      heatingNeedKwh,
      coolingHeatTransferKwh: lossC,
      coolingGainsKwh: gainsC,
      lossUtilisation: etaC,
      coolingIntermittency: coolingSeason ? aRedC : 1,
      coolingNeedKwh,
    });
  }
  return months;
}
