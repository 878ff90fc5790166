/**
 * Upgrade measures. Each one is a pure change of the assessment input (so a package can be recomputed
 * by anyone as an ordinary assessment) plus its investment cost from documented unit costs.
 * Insulation and windows go to the current KENAK (2017) U-max of the zone, the level Exoikonomo requires.
 */
import type { BuildingModel, ElementKind, OpaqueElement } from "./model.ts";
import {
  pvDefaultKwpPerDwelling,
  pvKwpPerRoofM2,
  type UnitCost,
  unitCosts,
} from "./reference/costs.ts";
import { glazing, uMax } from "./reference/envelope.ts";
import { generators } from "./reference/systems.ts";
import { zoneIndex } from "./reference/zones.ts";
import { elementUMax } from "./resolve/envelope.ts";
import { gasReach } from "./resolve/typical.ts";
import type { AssessmentInput } from "./schema/input.ts";

export const measureIds = [
  "wall_insulation",
  "roof_insulation",
  "floor_insulation",
  "windows",
  "heat_pump",
  "condensing_boiler",
  "solar_water_heater",
  "pv",
] as const;
export type MeasureId = (typeof measureIds)[number];

export type MeasureGroup = "envelope" | "heating" | "hot_water" | "electricity";

export interface MeasureContext {
  input: AssessmentInput;
  model: BuildingModel;
  /** Year new equipment is installed (from the assessment's `now`). */
  installYear: number;
}

export interface MeasureCost {
  eur: number;
  basis: string;
  estimate: boolean;
}

export interface MeasureDef {
  id: MeasureId;
  label: string;
  group: MeasureGroup;
  /** Exoikonomo 2025 lists the measure as eligible. */
  exoikonomoEligible: boolean;
  applicable(ctx: MeasureContext): boolean;
  apply(input: AssessmentInput, ctx: MeasureContext): AssessmentInput;
  cost(ctx: MeasureContext): MeasureCost;
}

/** ESTIMATE: hydronic emitters (fan coils / radiators) for a home that has none, EUR per m² heated. */
const EMITTERS_EUR_PER_M2 = 40;
/** ESTIMATE: design heat load of 0.1 kW per m² to pick the central-boiler cost band. */
const DESIGN_LOAD_KW_PER_M2 = 0.1;
const U_TOLERANCE = 0.01;

const costOf = (unit: UnitCost, quantity: number, what: string): MeasureCost => ({
  eur: unit.eur * quantity,
  basis: `${fmt(quantity)} ${what} x ${unit.eur} EUR (${unit.source})`,
  estimate: unit.estimate,
});
const fmt = (x: number) => (Math.round(x * 10) / 10).toString();

/** The KENAK 2017 U-max an insulation measure brings an element to. */
const elementTarget = (ctx: MeasureContext, el: OpaqueElement) =>
  elementUMax("kenak2017", ctx.model.site.zone, el.kind, el.adjacency);

/**
 * Elements of a kind an insulation measure improves: above their target U (floors on the ground are
 * left alone: insulating them means lifting the floor).
 */
const insulable = (ctx: MeasureContext, kind: ElementKind) =>
  ctx.model.envelope.elements.filter(
    (el) =>
      el.kind === kind &&
      el.areaM2 > 0 &&
      !(kind === "floor" && el.adjacency === "ground") &&
      el.uConstruction > elementTarget(ctx, el) + U_TOLERANCE,
  );
const insulableArea = (ctx: MeasureContext, kind: ElementKind) => {
  // An unoriented wall element is split over orientations in the model: count each part.
  let a = 0;
  for (const el of insulable(ctx, kind)) a += el.areaM2;
  return a;
};

/**
 * Insulates every insulable element of a kind: the caller's elements get the target U one by one; a
 * kind derived from the areas gets it through `uValues`.
 */
function insulate(input: AssessmentInput, ctx: MeasureContext, kind: ElementKind): AssessmentInput {
  const given = input.elements?.some((e) => e.type === kind);
  if (!given) {
    const derived = insulable(ctx, kind).find((el) => el.inputIndex === null);
    if (!derived) return input;
    return { ...input, uValues: { ...input.uValues, [kind]: elementTarget(ctx, derived) } };
  }
  const targetByIndex = new Map<number, number>();
  for (const el of insulable(ctx, kind)) {
    if (el.inputIndex !== null) targetByIndex.set(el.inputIndex, elementTarget(ctx, el));
  }
  return {
    ...input,
    elements: input.elements?.map((e, i) => {
      const target = targetByIndex.get(i);
      return target === undefined ? e : { ...e, uValue: target };
    }),
  };
}

const windowArea = (m: BuildingModel) => {
  const w = m.geometry.windowsM2;
  return w.N + w.NE_NW + w.E_W + w.SE_SW + w.S;
};
const windowTarget = (ctx: MeasureContext) =>
  uMax.kenak2017.windowToAir[zoneIndex[ctx.model.site.zone]];

const heatingType = (input: AssessmentInput) => input.systems?.heating?.type ?? "none";
const isHydronic = (input: AssessmentInput) => {
  const t = heatingType(input);
  return t !== "none" && generators[t].hydronic;
};
/**
 * A gas boiler can be installed: the caller's word, else a home already on gas, else the prefecture's
 * gas grid (the same reach the typical heating of resolve/typical.ts assumes).
 */
export function gasAvailable(input: AssessmentInput): boolean {
  if (input.naturalGasAvailable !== undefined) return input.naturalGasAvailable;
  return heatingType(input).startsWith("gas_") || gasReach(input).reach;
}

export function pvSizeKw(model: BuildingModel): number {
  return Math.min(
    pvDefaultKwpPerDwelling * model.geometry.dwellings,
    pvKwpPerRoofM2 * model.geometry.roofM2,
  );
}

function withHeating(
  input: AssessmentInput,
  type: "heat_pump_air_water" | "gas_condensing_boiler",
  year: number,
  emitter?: "fan_coils",
) {
  const current = input.systems?.heating;
  const keep =
    current && current.type !== "none" && generators[current.type].hydronic ? current : undefined;
  return {
    ...input,
    systems: {
      ...input.systems,
      heating: {
        ...(keep ?? {}),
        type,
        installedYear: year,
        ...(keep
          ? {}
          : { emitter: emitter ?? "fan_coils", central: false, distributionInsulated: true }),
      },
    },
  };
}

export const measures: readonly MeasureDef[] = [
  {
    id: "wall_insulation",
    label: "External wall insulation to the KENAK 2017 U-max",
    group: "envelope",
    exoikonomoEligible: true,
    applicable: (ctx) => insulableArea(ctx, "wall") > 0,
    apply: (input, ctx) => insulate(input, ctx, "wall"),
    cost: (ctx) => costOf(unitCosts.wallInsulation, insulableArea(ctx, "wall"), "m² wall"),
  },
  {
    id: "roof_insulation",
    label: "Roof insulation to the KENAK 2017 U-max",
    group: "envelope",
    exoikonomoEligible: true,
    applicable: (ctx) => insulableArea(ctx, "roof") > 0,
    apply: (input, ctx) => insulate(input, ctx, "roof"),
    cost: (ctx) => costOf(unitCosts.roofInsulation, insulableArea(ctx, "roof"), "m² roof"),
  },
  {
    id: "floor_insulation",
    label: "Insulation of the floor over pilotis or unheated space to the KENAK 2017 U-max",
    group: "envelope",
    exoikonomoEligible: true,
    applicable: (ctx) => insulableArea(ctx, "floor") > 0,
    apply: (input, ctx) => insulate(input, ctx, "floor"),
    cost: (ctx) => costOf(unitCosts.floorInsulation, insulableArea(ctx, "floor"), "m² floor"),
  },
  {
    id: "windows",
    label: "Replacement windows (KENAK 2017 U-max, airtight frames)",
    group: "envelope",
    exoikonomoEligible: true,
    applicable: (ctx) =>
      windowArea(ctx.model) > 0 && ctx.model.envelope.uWindow > windowTarget(ctx) + U_TOLERANCE,
    // New glazing and frames replace the U, g, year and airtightness; what describes the home and not
    // the glazing (frame fraction, winter and summer shading) stays the caller's.
    apply: (input, ctx) => ({
      ...input,
      windows: {
        ...input.windows,
        uValue: windowTarget(ctx),
        glazingG: glazing.gReference,
        installedYear: ctx.installYear,
        airtight: true,
      },
    }),
    cost: (ctx) => costOf(unitCosts.windows, windowArea(ctx.model), "m² window"),
  },
  {
    id: "heat_pump",
    label: "Air-to-water heat pump for space heating",
    group: "heating",
    exoikonomoEligible: true,
    applicable: (ctx) => !heatingType(ctx.input).startsWith("heat_pump"),
    apply: (input, ctx) => withHeating(input, "heat_pump_air_water", ctx.installYear),
    cost: (ctx) => {
      const n = ctx.model.geometry.dwellings;
      const area = ctx.model.geometry.floorAreaM2;
      const perDwelling = Math.min(
        unitCosts.heatPumpCap.eur,
        unitCosts.heatPumpBase.eur + unitCosts.heatPumpPerM2.eur * (area / n),
      );
      let eur = n * perDwelling;
      let basis = `${n} x min(${unitCosts.heatPumpCap.eur}, ${unitCosts.heatPumpBase.eur} + ${unitCosts.heatPumpPerM2.eur} EUR/m² x ${fmt(area / n)} m²) (${unitCosts.heatPumpBase.source})`;
      if (!isHydronic(ctx.input)) {
        eur += EMITTERS_EUR_PER_M2 * area;
        basis += ` + fan coils ${EMITTERS_EUR_PER_M2} EUR/m² (ESTIMATE: the home has no hydronic emitters)`;
      }
      return { eur, basis, estimate: true };
    },
  },
  {
    id: "condensing_boiler",
    label: "Natural-gas condensing boiler",
    group: "heating",
    exoikonomoEligible: true,
    applicable: (ctx) =>
      gasAvailable(ctx.input) &&
      (heatingType(ctx.input) === "oil_boiler" || heatingType(ctx.input) === "gas_boiler"),
    apply: (input, ctx) => withHeating(input, "gas_condensing_boiler", ctx.installYear),
    cost: (ctx) => {
      if (ctx.input.systems?.heating?.central || ctx.input.buildingType === "apartment_block") {
        const kw = DESIGN_LOAD_KW_PER_M2 * ctx.model.geometry.floorAreaM2;
        const eur = kw < 70 ? 6000 : kw < 150 ? 8000 : 11000;
        return {
          eur,
          basis: `central boiler ${fmt(kw)} kW (ESTIMATE 0.1 kW/m²): 2011 caps 6,000 (<70 kW) / 8,000 (70-150 kW) / 11,000 EUR (la-kenak vivliothiki_paremvaseis)`,
          estimate: true,
        };
      }
      return costOf(unitCosts.condensingBoiler, ctx.model.geometry.dwellings, "dwelling(s)");
    },
  },
  {
    id: "solar_water_heater",
    label: "Solar water heater (thermosiphon)",
    group: "hot_water",
    exoikonomoEligible: true,
    applicable: (ctx) => !ctx.input.solarThermal,
    apply: (input) => ({ ...input, solarThermal: {} }),
    cost: (ctx) => costOf(unitCosts.solarWaterHeater, ctx.model.geometry.dwellings, "dwelling(s)"),
  },
  {
    id: "pv",
    label: "Rooftop photovoltaics",
    group: "electricity",
    exoikonomoEligible: false,
    applicable: (ctx) => !ctx.input.pv && ctx.model.geometry.ownsRoof && pvSizeKw(ctx.model) >= 1,
    apply: (input, ctx) => ({ ...input, pv: { peakKw: pvSizeKw(ctx.model), orientation: "S" } }),
    cost: (ctx) => costOf(unitCosts.pv, pvSizeKw(ctx.model), "kWp"),
  },
];

export const measureById: Readonly<Record<MeasureId, MeasureDef>> = Object.fromEntries(
  measures.map((m) => [m.id, m]),
) as Record<MeasureId, MeasureDef>;

/** Applies measures in catalogue order (the order is irrelevant: each touches its own fields). */
export function applyMeasures(
  input: AssessmentInput,
  ids: readonly MeasureId[],
  ctx: MeasureContext,
): AssessmentInput {
  let out = input;
  for (const m of measures) {
    if (ids.includes(m.id)) out = m.apply(out, ctx);
  }
  return out;
}
