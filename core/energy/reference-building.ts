/**
 * The KENAK reference building of a home: same geometry, location, orientation and use; envelope at
 * the current KENAK (2017) U-max of the zone with the reference glazing, airtightness and heat capacity;
 * the reference technical systems. Its primary energy per m² is EP_ref in T = EP / EP_ref.
 *
 * Shading of the glazing, as la-kenak transcribes the reference building (pages/menu_library_ka.php,
 * "Διαφανή"): the summer shading F_h is fixed per orientation (N 1.00, NE/NW 0.80, E/W 0.75, SE/SW
 * 0.73, S 0.70); the winter shading F_c is "Όπως στο υπάρχον" (as in the existing building), and so is
 * the horizon shading F_hor,h / F_hor,c. The home's winter shading factor (surroundings and balconies,
 * horizon included) therefore carries over. The model has no horizon factor apart from it: the home's
 * summer shading is one factor, not split into horizon and overhangs, so the reference keeps the fixed
 * summer factors alone. (Both rows end "1 για κατακόρυφα ή κεκλιμένα", after the summer row's façade
 * orientations; the model has no glazing outside the façades.) The same page gives the reference's
 * opaque elements 0.90 in both seasons; the model shades no opaque element, in the home or here.
 */
import type { BuildingModel } from "./model.ts";
import {
  glazing,
  heatCapacityKjM2K,
  summerShading,
  thermalBridgeDeltaU,
  uMax,
  windowInfiltrationM3hM2,
} from "./reference/envelope.ts";
import {
  coolingEmission,
  emissionEfficiency,
  generators,
  referenceSystems,
  theoreticalSystems,
} from "./reference/systems.ts";
import { zoneIndex } from "./reference/zones.ts";
import { elementUMax, floorUMax, withConstructionU } from "./resolve/envelope.ts";

export function referenceBuilding(home: BuildingModel): BuildingModel {
  const { zone } = home.site;
  const z = zoneIndex[zone];
  const t = uMax.kenak2017;
  const ref = referenceSystems;
  const boiler = generators[ref.heating.type];
  // Each opaque element at the KENAK 2017 U-max of its type and adjacency; the adjacent space (b or
  // extra resistance) and the sun are the home's. Thermal bridges: the TOTEE simplified allowance.
  const elements = home.envelope.elements.map((el) =>
    withConstructionU(el, elementUMax("kenak2017", zone, el.kind, el.adjacency)),
  );
  return {
    site: home.site,
    geometry: home.geometry,
    usage: home.usage,
    envelope: {
      elements,
      uWall: t.wallToAir[z],
      uRoof: t.roofToAir[z],
      uFloor: floorUMax("kenak2017", zone, home.geometry.floorType),
      uWindow: t.windowToAir[z],
      glazingG: glazing.gReference,
      frameFraction: glazing.frameFractionReference,
      thermalBridgeDeltaU,
      linearBridgesWK: 0,
      bFloor: home.envelope.bFloor,
      windowInfiltrationM3hPerM2: windowInfiltrationM3hM2.airtight,
      infiltrationM3h: null,
      winterShading: home.envelope.winterShading,
      summerShading: { ...summerShading },
      heatCapacityKjM2K: heatCapacityKjM2K.referenceBuilding,
    },
    systems: {
      heating: {
        label: "reference: oil boiler (2011+), insulated distribution, radiators",
        carrier: boiler.carrier,
        generationEfficiency: boiler.efficiency(ref.heating.installYear, zone),
        emissionEfficiency: emissionEfficiency[ref.heating.emitter],
        distributionLossKwh: ref.distributionLossKwhM2 * home.geometry.floorAreaM2,
      },
      cooling: {
        label: "reference: split units (2011+)",
        eer: ref.coolingEer,
        emissionEfficiency: coolingEmission,
        coverage: home.systems.cooling.coverage,
      },
      hotWater: {
        label: "reference: electric water heater",
        carrier: theoreticalSystems.dhw.carrier,
        efficiency: theoreticalSystems.dhw.generation * theoreticalSystems.dhw.storage,
      },
      solarCollectorM2: 0,
      pv: null,
    },
  };
}
