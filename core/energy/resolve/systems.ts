/**
 * Technical systems: heating, cooling and hot water with their carriers and efficiencies, solar thermal
 * and PV. A system declared as `none` is replaced by the TOTEE "theoretical" system, as a KENAK study
 * does for a home without one. (A system the caller left out has already been replaced by the typical
 * system of the home's cohort in resolve/typical.ts; the `!h` branches below only serve direct callers.)
 */
import type { AssumptionSink, Geometry, Systems } from "../model.ts";
import {
  coolingEer,
  coolingEerSource,
  dhwHeatPumpCop,
  dhwStorageEfficiency,
  distributionInsulatedFromYear,
  distributionLossKwhM2,
  distributionSource,
  emissionEfficiency,
  generators,
  type HeatingSystemType,
  solarCollectorM2PerFloorM2,
  theoreticalSystems,
} from "../reference/systems.ts";
import type { ClimateZone } from "../reference/zones.ts";
import type { AssessmentInput } from "../schema/input.ts";

/** ESTIMATE: split units without a year are taken as 2001-2010 units (air conditioning spread then). */
const DEFAULT_SPLIT_YEAR = 2001;
/** Split units without a year, for heating or cooling alike: one set of units, one age. */
const splitUnitsYear = (constructionYear: number) => Math.max(constructionYear, DEFAULT_SPLIT_YEAR);
/**
 * ESTIMATE: air-to-water heat pumps without a year are taken as units installed after 2010: they spread
 * in Greek homes after KENAK (2010) and with the Exoikonomo programmes (TABULA GR.HP.Gen.10 "after
 * 2010", e 0.31).
 */
const DEFAULT_AIR_HEAT_PUMP_YEAR = 2011;

/**
 * The installation year of a heating generator the caller gave without one: split units take the same
 * default as for cooling, air-to-water heat pumps a post-2010 unit, other generators the construction
 * year (a generator of the home's period). Never before the home was built.
 */
export function defaultHeatingYear(
  type: Exclude<HeatingSystemType, "none">,
  constructionYear: number,
): { year: number; source: string } {
  if (type === "split_units") {
    return {
      year: splitUnitsYear(constructionYear),
      source:
        "ESTIMATE: split units without a year taken as 2001-2010 units (as for cooling) or the construction year if later",
    };
  }
  if (type === "heat_pump_air_water") {
    return {
      year: Math.max(constructionYear, DEFAULT_AIR_HEAT_PUMP_YEAR),
      source:
        'ESTIMATE: air-to-water heat pumps without a year taken as installed after 2010 (they spread in Greek homes after KENAK 2010 and with the Exoikonomo programmes; TABULA GR.HP.Gen.10 "after 2010", e 0.31) or the construction year if later',
    };
  }
  return {
    year: constructionYear,
    source: "default: the construction year (generator of the home's period)",
  };
}

export function resolveSystems(
  input: AssessmentInput,
  zone: ClimateZone,
  geometry: Geometry,
  note: AssumptionSink,
): Systems {
  const area = geometry.floorAreaM2;
  const s = input.systems;
  const th = theoreticalSystems;

  // Heating
  let heating: Systems["heating"];
  const h = s?.heating;
  if (!h || h.type === "none") {
    heating = {
      label: "TOTEE theoretical heating (local electric)",
      carrier: th.heating.carrier,
      generationEfficiency: th.heating.generation,
      emissionEfficiency: th.heating.emission,
      distributionLossKwh: 0,
    };
    note?.({
      field: "systems.heating",
      value: "theoretical local electric (1.00, terminal 0.94)",
      source: th.source,
      estimate: false,
    });
  } else {
    const spec = generators[h.type];
    const byDefault =
      h.installedYear === undefined ? defaultHeatingYear(h.type, input.constructionYear) : null;
    const year = h.installedYear ?? byDefault?.year ?? input.constructionYear;
    if (byDefault) {
      note?.({
        field: "systems.heating.installedYear",
        value: year,
        source: byDefault.source,
        estimate: true,
      });
    }
    const emitter =
      h.emitter ?? (spec.hydronic ? "radiators" : h.type === "split_units" ? "air_units" : "local");
    if (!h.emitter) {
      note?.({
        field: "systems.heating.emitter",
        value: emitter,
        source: "default for the generator type",
        estimate: false,
      });
    }
    let distributionLossKwh = 0;
    if (spec.hydronic) {
      // Pre-KENAK blocks run a central boiler with pipes through the pilotis or basement; from 2011
      // (KENAK) pipes run insulated inside the envelope.
      const central =
        h.central ??
        (input.constructionYear < 2011 &&
          (input.buildingType === "apartment_block" ||
            (input.buildingType === "apartment" && h.type === "oil_boiler")));
      const insulated =
        h.distributionInsulated ?? input.constructionYear >= distributionInsulatedFromYear;
      const q = central
        ? insulated
          ? distributionLossKwhM2.unheatedInsulated
          : distributionLossKwhM2.unheatedUninsulated
        : insulated
          ? distributionLossKwhM2.insideInsulated
          : distributionLossKwhM2.insideUninsulated;
      distributionLossKwh = q * area;
      note?.({
        field: "systems.heating.distribution",
        value: q,
        unit: "kWh/m² per year",
        source: `${distributionSource}: ${central ? "central, pipes through unheated space" : "pipes inside the dwelling"}, ${insulated ? "insulated" : "uninsulated"}${h.central === undefined || h.distributionInsulated === undefined ? " (ESTIMATE defaults: central for pre-2011 blocks and oil-heated apartments; insulated from 1996)" : ""}`,
        estimate: h.central === undefined,
      });
    }
    const generationEfficiency = spec.efficiency(year, zone);
    note?.({
      field: "systems.heating.generationEfficiency",
      value: round3(generationEfficiency),
      source: spec.source,
      estimate: false,
    });
    heating = {
      label: h.type,
      carrier: spec.carrier,
      generationEfficiency,
      emissionEfficiency: emissionEfficiency[emitter],
      distributionLossKwh,
    };
  }

  // Cooling
  let cooling: Systems["cooling"];
  const c = s?.cooling;
  if (!c || c.type === "none") {
    cooling = {
      label: "TOTEE theoretical cooling",
      eer: th.cooling.eer,
      emissionEfficiency: th.cooling.emission,
      coverage: th.cooling.coverage[zone],
    };
    note?.({
      field: "systems.cooling",
      value: `theoretical air-cooled heat pump SEER 1.70, coverage ${th.cooling.coverage[zone]}`,
      source: th.source,
      estimate: false,
    });
  } else {
    const year = c.installedYear ?? splitUnitsYear(input.constructionYear);
    if (c.installedYear === undefined) {
      note?.({
        field: "systems.cooling.installedYear",
        value: year,
        source:
          "ESTIMATE: units without a year taken as 2001-2010 or the construction year if later",
        estimate: true,
      });
    }
    cooling = {
      label: c.type,
      eer: coolingEer(year),
      emissionEfficiency: 0.93,
      coverage: c.coverage ?? 1,
    };
    note?.({
      field: "systems.cooling.eer",
      value: round3(cooling.eer),
      source: coolingEerSource,
      estimate: true,
    });
  }

  // Hot water
  let hotWater: Systems["hotWater"];
  const w = s?.hotWater;
  const electricHeater = {
    carrier: th.dhw.carrier,
    efficiency: th.dhw.generation * th.dhw.storage,
  };
  if (!w || w.type === "none") {
    hotWater = { label: "TOTEE theoretical DHW (electric heater)", ...electricHeater };
    note?.({
      field: "systems.hotWater",
      value: "theoretical electric heater (1.00, storage 0.98)",
      source: th.source,
      estimate: false,
    });
  } else if (w.type === "electric") {
    hotWater = { label: "electric water heater", ...electricHeater };
  } else if (w.type === "heat_pump") {
    hotWater = {
      label: "heat-pump water heater",
      carrier: "electricity",
      efficiency: dhwHeatPumpCop * dhwStorageEfficiency,
    };
    note?.({
      field: "systems.hotWater.cop",
      value: dhwHeatPumpCop,
      source: "ESTIMATE: heat-pump water heater seasonal COP",
      estimate: true,
    });
  } else if (h && h.type !== "none" && generators[h.type].hydronic) {
    const eff = Math.min(
      heating.generationEfficiency,
      heating.carrier === "electricity" ? dhwHeatPumpCop : Number.POSITIVE_INFINITY,
    );
    hotWater = {
      label: `from heating (${h.type})`,
      carrier: heating.carrier,
      efficiency: eff * dhwStorageEfficiency,
    };
  } else {
    hotWater = {
      label: "electric water heater (heating system cannot make hot water)",
      ...electricHeater,
    };
    note?.({
      field: "systems.hotWater",
      value: "electric",
      source:
        "the declared heating is not a hydronic generator; DHW falls back to an electric heater",
      estimate: false,
    });
  }

  let solarCollectorM2 = 0;
  if (input.solarThermal) {
    solarCollectorM2 = input.solarThermal.collectorAreaM2 ?? solarCollectorM2PerFloorM2 * area;
    if (input.solarThermal.collectorAreaM2 === undefined) {
      note?.({
        field: "solarThermal.collectorAreaM2",
        value: round3(solarCollectorM2),
        unit: "m²",
        source: "ESTIMATE: 2.5 m² per 100 m² (a typical Greek thermosiphon per dwelling)",
        estimate: true,
      });
    }
  }

  const pv = input.pv
    ? {
        peakKw: input.pv.peakKw,
        plane: (input.pv.orientation === "SE" || input.pv.orientation === "SW"
          ? "tilt45SE_SW"
          : input.pv.orientation === "E" || input.pv.orientation === "W"
            ? "tilt45E_W"
            : "tilt45S") as "tilt45S" | "tilt45SE_SW" | "tilt45E_W",
      }
    : null;

  return { heating, cooling, hotWater, solarCollectorM2, pv };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
