/**
 * Where the method has an answer. Two inputs that pass the schema still have none: linear thermal
 * bridges negative enough to take the transmission coefficient H_tr to zero or below (the ISO 13790
 * monthly balance needs H_tr > 0: the losses turn into gains and the time constant goes negative),
 * and a reference building that needs no energy (the class is read from T = EP / EP_ref, which has no
 * value when EP_ref is 0). Both are refused as input, naming the field, like every other refusal; with
 * the uncertainty asked for, every sampled variant of the home must have an answer too.
 */
import type { HeatTransfer } from "./calc/balance.ts";
import { EnergyInputError } from "./errors.ts";
import type { BuildingModel, Usage } from "./model.ts";

/** Which calculation a refusal comes from: the home as given, or a variant the uncertainty samples. */
export type Subject = "home" | "sampled";

const within = (subject: Subject) =>
  subject === "sampled"
    ? " for a variant within the ranges sampled for the unknowns (systems, U-values, air tightness, window area, occupants)"
    : "";

/** Throws EnergyInputError at `thermalBridges.linear` unless H_tr > 0. */
export function requirePositiveTransmission(
  model: BuildingModel,
  ht: HeatTransfer,
  subject: Subject = "home",
): void {
  if (ht.transmissionWK > 0) return;
  const bridges = model.envelope.linearBridgesWK;
  throw new EnergyInputError([
    {
      path: ["thermalBridges", "linear"],
      message: `the linear thermal bridges (sum of psi x length ${round1(bridges)} W/K) bring the transmission coefficient to ${round1(ht.transmissionWK)} W/K${within(subject)}; the monthly method needs it above 0, so negative psi x length may not cancel the ${round1(ht.transmissionWK - bridges)} W/K of the walls, roof, floor and windows`,
    },
  ]);
}

/**
 * T = EP / EP_ref; throws EnergyInputError when the reference building needs no energy. Its hot
 * water is the one need that is never 0 (the mains water is below 45 °C in every zone and month), so
 * EP_ref is 0 only with no hot water at all, which `occupancy.dhwLitresPerPersonDay` 0 states.
 */
export function ratingRatio(
  primaryKwh: number,
  referencePrimaryKwh: number,
  usage: Usage,
  coolingCoverage: number,
  subject: Subject = "home",
): number {
  if (referencePrimaryKwh > 0) return primaryKwh / referencePrimaryKwh;
  throw new EnergyInputError([
    {
      path: ["occupancy", "dhwLitresPerPersonDay"],
      message: `the reference building needs no energy${within(subject)}: no hot water at ${usage.dhwLitresPerDay / usage.persons} l per person and day, and no heating or cooling counted (setpoints ${usage.setpointHeatingC} / ${usage.setpointCoolingC} °C, cooling coverage ${coolingCoverage}); the class is read from T = EP / EP_ref, which then has no value: give the hot water used`,
    },
  ]);
}

const round1 = (x: number) => Math.round(x * 10) / 10;
