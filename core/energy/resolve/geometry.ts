/**
 * Geometry: the caller's areas by orientation when given, otherwise derived from floor area, storeys and
 * building type with the documented defaults below (each reported as an assumption).
 */
import { EnergyInputError } from "../errors.ts";
import type { AssumptionSink, Geometry, OrientationClass } from "../model.ts";
import { roomHeightM, storeyHeightM } from "../reference/conditions.ts";
import { blockDwellingAreaM2 } from "../reference/costs.ts";
import { defaultStoreys } from "../reference/typical.ts";
import type { AssessmentInput, Orientation } from "../schema/input.ts";

/** ESTIMATE: rectangular plan with sides 1.5 : 1 (perimeter 4.08 x sqrt(footprint)). */
const PLAN_ASPECT = 1.5;
/** ESTIMATE: window area 15 % of heated floor area (TABULA GR archetypes span about 12-20 %). */
const WINDOW_TO_FLOOR = 0.15;
/** Windows never take more than 60 % of a façade in the derived geometry. */
const MAX_WINDOW_TO_FACADE = 0.6;
/** ESTIMATE: an apartment has two exposed façades out of four (the others face neighbours). */
const APARTMENT_EXPOSED_PERIMETER = 0.5;

const ORIENTATION_CLASS: Readonly<Record<Orientation, OrientationClass>> = {
  N: "N",
  NE: "NE_NW",
  NW: "NE_NW",
  E: "E_W",
  W: "E_W",
  SE: "SE_SW",
  SW: "SE_SW",
  S: "S",
};
export const orientationClasses: readonly OrientationClass[] = ["N", "NE_NW", "E_W", "SE_SW", "S"];

const zeroByClass = (): Record<OrientationClass, number> => ({
  N: 0,
  NE_NW: 0,
  E_W: 0,
  SE_SW: 0,
  S: 0,
});

function byClass(
  areas: Partial<Record<Orientation, number | undefined>>,
): Record<OrientationClass, number> {
  const out = zeroByClass();
  for (const [o, a] of Object.entries(areas) as [Orientation, number | undefined][]) {
    out[ORIENTATION_CLASS[o]] += a ?? 0;
  }
  return out;
}

/** Unknown orientation: façades split equally over N, E, S and W. */
export function equalSplit(total: number): Record<OrientationClass, number> {
  return { N: total / 4, NE_NW: 0, E_W: total / 2, SE_SW: 0, S: total / 4 };
}

export const orientationClass = (o: Orientation): OrientationClass => ORIENTATION_CLASS[o];

/** Opaque wall areas of the caller's wall elements by orientation class (unoriented ones split N/E/S/W). */
function elementWalls(
  elements: NonNullable<AssessmentInput["elements"]>,
): Record<OrientationClass, number> {
  const out = zeroByClass();
  for (const e of elements) {
    if (e.type !== "wall") continue;
    if (e.orientation) {
      out[ORIENTATION_CLASS[e.orientation]] += e.areaM2;
    } else {
      const split = equalSplit(e.areaM2);
      for (const c of orientationClasses) out[c] += split[c];
    }
  }
  return out;
}

const sum = (r: Record<OrientationClass, number>) => r.N + r.NE_NW + r.E_W + r.SE_SW + r.S;

export function resolveGeometry(input: AssessmentInput, note: AssumptionSink): Geometry {
  const area = input.heatedFloorAreaM2;
  const type = input.buildingType;
  // completeInput fills storeys in (and notes it); the fallback keeps direct callers working.
  const storeys = input.storeys ?? defaultStoreys[type];
  const footprint = area / storeys;
  const position = type === "apartment" ? (input.apartmentPosition ?? "middle") : undefined;
  if (type === "apartment" && !input.apartmentPosition) {
    note?.({
      field: "apartmentPosition",
      value: "middle",
      source: "default: an intermediate apartment (heated dwellings above and below)",
      estimate: true,
    });
  }
  const hasRoof = type !== "apartment" || position === "top" || position === "ground_and_top";
  const hasFloor = type !== "apartment" || position === "ground" || position === "ground_and_top";
  const floorType = input.floorType ?? (type === "detached_house" ? "ground" : "pilotis");
  if (!input.floorType && hasFloor) {
    note?.({
      field: "floorType",
      value: floorType,
      source:
        type === "detached_house"
          ? "default: a house's floor lies on the ground"
          : "default: Greek apartment blocks stand on an open pilotis (floor to outside air)",
      estimate: true,
    });
  }

  const g = input.geometry;
  const perimeter =
    2 * (Math.sqrt(PLAN_ASPECT) + Math.sqrt(1 / PLAN_ASPECT)) * Math.sqrt(footprint);
  const exposed = type === "apartment" ? APARTMENT_EXPOSED_PERIMETER : 1;
  const derivedFacade = perimeter * exposed * storeyHeightM * storeys;

  const elements = input.elements ?? [];
  const has = (type: "wall" | "roof" | "floor") => elements.some((e) => e.type === type);
  const areaOf = (type: "wall" | "roof" | "floor") =>
    elements.reduce((a, e) => (e.type === type ? a + e.areaM2 : a), 0);
  // Wall elements are opaque areas: windows come on top of them, not out of them.
  const wallElements = has("wall");
  let facade: Record<OrientationClass, number>;
  if (wallElements) {
    facade = elementWalls(elements);
  } else if (g?.wallsM2) {
    facade = byClass(g.wallsM2);
  } else {
    facade = equalSplit(derivedFacade);
    note?.({
      field: "geometry.wallsM2",
      value: Math.round(derivedFacade * 10) / 10,
      unit: "m²",
      source: `derived: rectangular plan ${PLAN_ASPECT}:1 (ESTIMATE), ${exposed === 1 ? "all" : "half of the"} perimeter exposed${exposed === 1 ? "" : " (ESTIMATE: two of four façades)"}, ${storeyHeightM} m per storey (ESTIMATE), split equally N/E/S/W`,
      estimate: true,
    });
  }

  let windows: Record<OrientationClass, number>;
  if (g?.windowsM2) {
    windows = byClass(g.windowsM2);
  } else {
    const total = Math.min(WINDOW_TO_FLOOR * area, MAX_WINDOW_TO_FACADE * sum(facade));
    const facadeTotal = sum(facade);
    windows = zeroByClass();
    for (const c of orientationClasses) {
      windows[c] = facadeTotal > 0 ? (total * facade[c]) / facadeTotal : 0;
    }
    note?.({
      field: "geometry.windowsM2",
      value: Math.round(total * 10) / 10,
      unit: "m²",
      source: `derived: ${WINDOW_TO_FLOOR * 100} % of heated floor area (ESTIMATE; TABULA GR archetypes 12-20 %), shared in proportion to the façades`,
      estimate: true,
    });
  }

  const walls = zeroByClass();
  for (const c of orientationClasses) {
    if (wallElements) {
      walls[c] = facade[c];
      continue;
    }
    const net = facade[c] - windows[c];
    if (net < -1e-9) {
      throw new EnergyInputError([
        {
          path: ["geometry", "windowsM2"],
          message: `windows facing ${c} (${windows[c].toFixed(1)} m²) exceed the ${c} façade (${facade[c].toFixed(1)} m²)`,
        },
      ]);
    }
    walls[c] = Math.max(0, net);
  }

  const roofM2 = has("roof") ? areaOf("roof") : (g?.roofM2 ?? (hasRoof ? footprint : 0));
  const floorM2 = has("floor") ? areaOf("floor") : (g?.floorM2 ?? (hasFloor ? footprint : 0));
  if (g?.roofM2 === undefined && !has("roof")) {
    note?.({
      field: "geometry.roofM2",
      value: Math.round(roofM2 * 10) / 10,
      unit: "m²",
      source: hasRoof ? "derived: footprint = floor area / storeys" : "none: heated dwelling above",
      estimate: false,
    });
  }
  if (g?.floorM2 === undefined && !has("floor")) {
    note?.({
      field: "geometry.floorM2",
      value: Math.round(floorM2 * 10) / 10,
      unit: "m²",
      source: hasFloor
        ? "derived: footprint = floor area / storeys"
        : "none: heated dwelling below",
      estimate: false,
    });
  }

  const dwellings =
    input.dwellings ??
    (type === "apartment_block" ? Math.max(1, Math.round(area / blockDwellingAreaM2)) : 1);
  if (input.dwellings === undefined && type === "apartment_block") {
    note?.({
      field: "dwellings",
      value: dwellings,
      source: `derived: floor area / ${blockDwellingAreaM2} m² per dwelling (ESTIMATE)`,
      estimate: true,
    });
  }

  return {
    floorAreaM2: area,
    volumeM3: area * roomHeightM,
    wallsM2: walls,
    windowsM2: windows,
    roofM2,
    floorM2,
    floorType,
    dwellings,
    ownsRoof: (hasRoof || has("roof")) && roofM2 > 0,
  };
}
