/**
 * Unknown is not none: fills in what the caller did not say with what such a home typically has, before
 * the model is resolved, so every later step (the calculation, the upgrade measures, the package search)
 * sees one complete input. A heating, cooling or hot-water system left out becomes the modal system of
 * the home's cohort (building type, period, zone, gas reach), listed as ESTIMATE in `assumptions`; one
 * declared as `{"type": "none"}` stays "no system" and gets the TOTEE 20701-1 theoretical system.
 * Storeys left out get the building type's default.
 */
import type { AssumptionSink } from "../model.ts";
import type { HeatingSystemType } from "../reference/systems.ts";
import {
  coolingShareSource,
  defaultStoreys,
  gasGridPrefectures,
  gasGridSource,
  heatingShares,
  solarShareSource,
  solarWaterHeaterShare,
  splitUnitShare,
  storeysSource,
  typicalSystemsSource,
} from "../reference/typical.ts";
import type { ClimateZone } from "../reference/zones.ts";
import type { AssessmentInput } from "../schema/input.ts";
import { resolveSite } from "./location.ts";

/** An input with storeys and every system filled in. */
export type CompleteInput = AssessmentInput & { storeys: number };

/** What was estimated, with the shares the uncertainty sampling draws from. */
export interface Unknowns {
  zone: ClimateZone;
  /** Heating system shares when the heating was not given. */
  heating: [Exclude<HeatingSystemType, "none">, number][] | null;
  /** Split-unit share when the cooling was not given. */
  splitUnitShare: number | null;
  /** Solar water heater share when neither the hot water nor a solar collector was given. */
  solarShare: number | null;
}

const pct = (x: number) => `${Math.round(x * 100)} %`;

/** Gas reach: the caller's word, else the prefecture's network, else unknown (treated as no gas). */
export function gasReach(input: AssessmentInput): { reach: boolean; told: boolean } {
  if (input.naturalGasAvailable !== undefined) {
    return { reach: input.naturalGasAvailable, told: true };
  }
  if (input.location.prefecture) {
    return { reach: gasGridPrefectures.has(input.location.prefecture), told: true };
  }
  return { reach: false, told: false };
}

export function completeInput(
  input: AssessmentInput,
  note: AssumptionSink,
): { input: CompleteInput; unknowns: Unknowns } {
  const zone = resolveSite(input.location, null).zone;
  const type = input.buildingType;
  const year = input.constructionYear;
  const out: CompleteInput = { ...input, storeys: input.storeys ?? defaultStoreys[type] };
  if (input.storeys === undefined) {
    note?.({
      field: "storeys",
      value: out.storeys,
      source: storeysSource,
      estimate: true,
    });
  }
  const unknowns: Unknowns = { zone, heating: null, splitUnitShare: null, solarShare: null };
  const systems = { ...input.systems };

  if (!systems.heating) {
    const gas = gasReach(input);
    const shares = heatingShares(type, year, zone, gas.reach);
    const [modal, share] = shares[0] as [Exclude<HeatingSystemType, "none">, number];
    systems.heating = { type: modal };
    unknowns.heating = shares;
    note?.({
      field: "systems.heating",
      value: modal,
      source: `${typicalSystemsSource}: the most common system of a ${type.replace("_", " ")} built ${year} in zone ${zone}${gas.told ? (gas.reach ? ", gas grid within reach" : ", no gas grid") : ""} (${pct(share)} of the cohort; ${shares
        .slice(1, 4)
        .map(([k, v]) => `${k} ${pct(v)}`)
        .join(
          ", ",
        )})${input.location.prefecture && input.naturalGasAvailable === undefined ? `; gas reach from ${gasGridSource}` : ""}. Declare the heating to replace this estimate; {"type": "none"} states that the home has none`,
      estimate: true,
    });
  }
  if (!systems.cooling) {
    const share = splitUnitShare(year, zone);
    systems.cooling = { type: share >= 0.5 ? "split_units" : "none" };
    unknowns.splitUnitShare = share;
    note?.({
      field: "systems.cooling",
      value: systems.cooling.type,
      source: `${coolingShareSource}: ${pct(share)} of homes of this era in zone ${zone} have split units${share >= 0.5 ? "" : " (most have none: TOTEE theoretical cooling applies)"}`,
      estimate: true,
    });
  }
  let solarThermal = input.solarThermal;
  if (!systems.hotWater) {
    systems.hotWater = { type: "electric" };
    note?.({
      field: "systems.hotWater",
      value: "electric",
      source:
        "ESTIMATE: an electric water heater, the most common hot-water system (49.5 % of households make hot water with electricity, ELSTAT Census 2011)",
      estimate: true,
    });
    if (!solarThermal) {
      const share = solarWaterHeaterShare(type, year);
      unknowns.solarShare = share;
      if (share >= 0.5) solarThermal = {};
      note?.({
        field: "solarThermal",
        value: share >= 0.5,
        source: `${solarShareSource}: ${pct(share)} of such homes have one`,
        estimate: true,
      });
    }
  }
  out.systems = systems;
  if (solarThermal) out.solarThermal = solarThermal;
  return { input: out, unknowns };
}
