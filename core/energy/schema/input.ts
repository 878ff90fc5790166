/**
 * The assessment input: what a homeowner or an app knows about a home. Only location, building type,
 * construction year and heated floor area are required; everything else has a documented default, and
 * every default the engine fills in is listed in the output's assumptions. A system left out is unknown
 * (the typical system of the home's cohort stands in, as an ESTIMATE); `{"type": "none"}` states that
 * the home has none (the TOTEE theoretical system applies).
 */
import { z } from "zod";
import { stationIds } from "../reference/climate.ts";
import { exoikonomoIncomeCategories } from "../reference/costs.ts";
import {
  coolingSystemTypes,
  dhwHeaterTypes,
  emitterTypes,
  heatingSystemTypes,
} from "../reference/systems.ts";
import { climateZones, prefectureNames, prefectures } from "../reference/zones.ts";

export const orientations = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"] as const;
export type Orientation = (typeof orientations)[number];

export const buildingTypes = ["detached_house", "apartment", "apartment_block"] as const;
export const apartmentPositions = ["ground", "middle", "top", "ground_and_top"] as const;
export const floorTypes = ["ground", "pilotis", "unheated"] as const;
export const thermalMassClasses = ["light", "medium", "heavy"] as const;
export const elementTypes = ["wall", "roof", "floor"] as const;
/** What an opaque element separates the heated space from: outside air (incl. pilotis), soil, an unheated space. */
export const adjacencies = ["outside", "ground", "unheated"] as const;
export const shieldingClasses = ["none", "moderate", "heavy"] as const;

const areaM2 = z.number().finite().nonnegative().max(1_000_000);
const uValue = z
  .number()
  .finite()
  .positive("a U-value must be greater than 0 W/(m²K)")
  .max(10, "no building element has a U-value above 10 W/(m²K)");
const year = z.number().int().min(1800).max(2100);

/**
 * The most envelope area (walls, windows, roof, floor given) per m² of heated floor: 20, several times
 * the ~6 of a small detached house, so only inputs that describe no building are refused.
 */
export const MAX_ENVELOPE_TO_FLOOR = 20;
/** At most one person per 2 m² of heated floor (TOTEE's residential density is one per 20 m²). */
export const MAX_PERSONS_PER_M2 = 0.5;

const byOrientation = z
  .strictObject(Object.fromEntries(orientations.map((o) => [o, areaM2.optional()])))
  .describe("m² per compass orientation (N, NE, E, SE, S, SW, W, NW); missing ones are 0");

export const locationSchema = z
  .strictObject({
    zone: z.enum(climateZones).optional().describe("KENAK climate zone A-D"),
    station: z.enum(stationIds).optional().describe("TOTEE 20701-3 station"),
    prefecture: z.enum(prefectureNames).optional(),
    latitude: z.number().min(34).max(42).optional(),
    longitude: z.number().min(19).max(30).optional(),
  })
  .superRefine((loc, ctx) => {
    const hasCoordinates = loc.latitude !== undefined || loc.longitude !== undefined;
    if (hasCoordinates && (loc.latitude === undefined || loc.longitude === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [loc.latitude === undefined ? "latitude" : "longitude"],
        message: "latitude and longitude go together",
      });
    }
    if (!loc.zone && !loc.station && !loc.prefecture && !hasCoordinates) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: "give a climate zone, a station, a prefecture or coordinates",
      });
    }
    if (loc.zone && loc.prefecture && prefectures[loc.prefecture].zone !== loc.zone) {
      ctx.addIssue({
        code: "custom",
        path: ["zone"],
        message: `${loc.prefecture} lies in KENAK zone ${prefectures[loc.prefecture].zone}, not ${loc.zone}`,
      });
    }
  })
  .describe(
    "where the home is: a station, else a prefecture, else coordinates (nearest station), else a zone",
  );

const heatingSchema = z.strictObject({
  type: z
    .enum(heatingSystemTypes)
    .describe(
      "none: the home has no heating (TOTEE theoretical electric heating applies); leave `heating` out when unknown",
    ),
  installedYear: year.optional().describe("year the heat generator was installed"),
  emitter: z.enum(emitterTypes).optional(),
  central: z
    .boolean()
    .optional()
    .describe(
      "a building-wide system (pipes through unheated spaces) rather than one per dwelling",
    ),
  distributionInsulated: z.boolean().optional(),
});

const coolingSchema = z.strictObject({
  type: z
    .enum(coolingSystemTypes)
    .describe(
      "none: the home has no cooling (TOTEE theoretical cooling applies); leave `cooling` out when unknown",
    ),
  installedYear: year.optional(),
  coverage: z
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe("share of the cooling need the system serves (rooms with units)"),
});

const dhwSchema = z.strictObject({
  type: z
    .enum(dhwHeaterTypes)
    .describe(
      "none: no water heater (TOTEE theoretical electric heater applies); leave `hotWater` out when unknown",
    ),
  installedYear: year.optional(),
});

const elementSchema = z
  .strictObject({
    type: z.enum(elementTypes),
    areaM2: z.number().finite().positive().max(100_000).describe("opaque area, windows excluded"),
    uValue: uValue
      .optional()
      .describe("W/(m²K) of the construction; default: the home's wall / roof / floor U"),
    orientation: z
      .enum(orientations)
      .optional()
      .describe("walls only; an unoriented wall is split equally over N, E, S and W"),
    adjacency: z
      .enum(adjacencies)
      .optional()
      .describe("default: outside for walls and roofs, the home's floorType for floors"),
    b: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe("temperature-reduction factor towards the ground or unheated space (default 0.5)"),
    extraResistanceM2KW: z
      .number()
      .min(0)
      .max(20)
      .optional()
      .describe(
        "m²K/W of the unheated space or soil, added to the element instead of a b-factor (ISO 6946/13789)",
      ),
    label: z.string().max(80).optional(),
  })
  .superRefine((e, ctx) => {
    if (e.orientation && e.type !== "wall") {
      ctx.addIssue({
        code: "custom",
        path: ["orientation"],
        message: "only walls take an orientation",
      });
    }
    if (e.type === "roof" && e.adjacency === "ground") {
      ctx.addIssue({
        code: "custom",
        path: ["adjacency"],
        message: "a roof cannot touch the ground",
      });
    }
    for (const field of ["b", "extraResistanceM2KW"] as const) {
      if (e[field] !== undefined && (e.adjacency === undefined || e.adjacency === "outside")) {
        ctx.addIssue({
          code: "custom",
          path: [field],
          message: `${field} needs adjacency "ground" or "unheated"`,
        });
      }
    }
    if (e.b !== undefined && e.extraResistanceM2KW !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["extraResistanceM2KW"],
        message: "give either a b-factor or an extra resistance, not both",
      });
    }
  });

export const assessmentInputSchema = z
  .strictObject({
    location: locationSchema,
    buildingType: z.enum(buildingTypes),
    constructionYear: year,
    heatedFloorAreaM2: z
      .number()
      .finite()
      // Results are per m² of it: near 0 they grow without bound (5e-324 m² gave an infinite
      // rating ratio). 10 m² is below any dwelling the model describes.
      .min(10, "the heated floor area must be at least 10 m²")
      .max(100_000),
    storeys: z
      .number()
      .finite()
      .min(1)
      .max(40)
      .optional()
      .describe(
        "storeys of the building (of the dwelling for an apartment); fractions for lofts or split levels (1.5); default by building type: house 2, apartment 1, block 4 (ESTIMATE)",
      ),
    apartmentPosition: z.enum(apartmentPositions).optional(),
    floorType: z.enum(floorTypes).optional(),
    thermalMass: z
      .union([z.enum(thermalMassClasses), z.number().min(50).max(500)])
      .optional()
      .describe("construction class or effective heat capacity in kJ/(m²K) of floor"),
    dwellings: z.number().int().min(1).max(500).optional(),
    geometry: z
      .strictObject({
        wallsM2: byOrientation.optional().describe("gross façade area (walls incl. windows)"),
        windowsM2: byOrientation.optional(),
        roofM2: areaM2.optional().describe("roof or top ceiling to outside air"),
        floorM2: areaM2.optional().describe("lowest floor (to ground, pilotis or unheated space)"),
      })
      .optional(),
    uValues: z
      .strictObject({ wall: uValue.optional(), roof: uValue.optional(), floor: uValue.optional() })
      .optional()
      .describe("W/(m²K) of the construction, without the thermal-bridge allowance"),
    elements: z
      .array(elementSchema)
      .min(1)
      .max(100)
      .optional()
      .describe(
        "opaque elements one by one (engineers): the walls, roofs or floors given here replace the derived ones of that type",
      ),
    thermalBridges: z
      .strictObject({
        deltaU: z
          .number()
          .min(0)
          .max(1)
          .optional()
          .describe(
            "allowance added to every opaque U, W/(m²K); default 0.1 (TOTEE), 0 when linear is given",
          ),
        linear: z
          .array(
            z.strictObject({
              psi: z.number().min(-1).max(3).describe("linear thermal transmittance, W/(m·K)"),
              lengthM: z.number().positive().max(100_000),
              label: z.string().max(80).optional(),
            }),
          )
          .min(1)
          .max(200)
          .optional(),
      })
      .optional(),
    airtightness: z
      .strictObject({
        infiltrationAch: z
          .number()
          .min(0)
          .max(10)
          .optional()
          .describe(
            "air leakage in normal use, air changes per hour of the heated volume (replaces the window-joint estimate)",
          ),
        n50: z
          .number()
          .positive()
          .max(50)
          .optional()
          .describe("blower-door air changes per hour at 50 Pa (EN ISO 9972)"),
        shielding: z
          .enum(shieldingClasses)
          .optional()
          .describe("wind shielding of the site, for converting n50 (default moderate)"),
      })
      .optional(),
    windows: z
      .strictObject({
        uValue: uValue.optional(),
        glazingG: z.number().gt(0).max(1).optional().describe("normal-incidence g of the glazing"),
        frameFraction: z.number().min(0).max(0.9).optional(),
        installedYear: year.optional(),
        airtight: z.boolean().optional().describe("certified airtight frames (KENAK-era windows)"),
        winterShading: z
          .number()
          .min(0)
          .max(1)
          .optional()
          .describe("shading factor in the heating season (1 = unshaded; default 0.8)"),
        summerShading: z
          .number()
          .min(0)
          .max(1)
          .optional()
          .describe(
            "shading factor in the cooling season, all orientations (1 = unshaded; default by orientation 0.7-1.0)",
          ),
      })
      .optional(),
    systems: z
      .strictObject({
        heating: heatingSchema.optional(),
        cooling: coolingSchema.optional(),
        hotWater: dhwSchema.optional(),
      })
      .optional(),
    solarThermal: z
      .strictObject({ collectorAreaM2: z.number().positive().max(10_000).optional() })
      .optional()
      .describe(
        "a solar water heater; left out with `systems.hotWater` given means none, left out with the hot water unknown means unknown (estimated from the share of such homes)",
      ),
    pv: z
      .strictObject({
        peakKw: z.number().positive().max(10_000),
        orientation: z.enum(["S", "SE", "SW", "E", "W"]).optional(),
      })
      .optional(),
    occupancy: z
      .strictObject({
        persons: z.number().positive().max(10_000).optional(),
        heatingSetpointC: z.number().min(10).max(26).optional(),
        coolingSetpointC: z.number().min(20).max(32).optional(),
        dhwLitresPerPersonDay: z.number().min(0).max(500).optional(),
        internalGainsWPerM2: z
          .number()
          .min(0)
          .max(50)
          .optional()
          .describe(
            "time-averaged internal gains (people, appliances, lighting), W per m² of floor",
          ),
      })
      .optional(),
    naturalGasAvailable: z.boolean().optional(),
    economics: z
      .strictObject({
        discountRate: z.number().min(0).max(0.3).optional(),
        horizonYears: z.number().int().min(1).max(50).optional(),
      })
      .optional(),
    exoikonomo: z.strictObject({ incomeCategory: z.enum(exoikonomoIncomeCategories) }).optional(),
  })
  .superRefine((input, ctx) => {
    const g = input.geometry;
    // Areas given for the envelope against the heated floor: a real home's envelope is a few times its
    // floor (a small detached house ~6x); far beyond that the input describes no building, and its
    // figures would enter the tenant's benchmark statistics.
    const sumOf = (areas: Partial<Record<string, number>> | undefined) =>
      Object.values(areas ?? {}).reduce<number>((a, v) => a + (v ?? 0), 0);
    const envelope =
      sumOf(g?.wallsM2) +
      sumOf(g?.windowsM2) +
      (g?.roofM2 ?? 0) +
      (g?.floorM2 ?? 0) +
      (input.elements ?? []).reduce((a, e) => a + e.areaM2, 0);
    // Against a floor area that passed its own check only (a refused one is reported already).
    const floorOk = input.heatedFloorAreaM2 >= 10;
    if (floorOk && envelope > MAX_ENVELOPE_TO_FLOOR * input.heatedFloorAreaM2) {
      ctx.addIssue({
        code: "custom",
        path: input.elements?.length ? ["elements"] : ["geometry"],
        message: `the envelope areas given (${Math.round(envelope)} m²) exceed ${MAX_ENVELOPE_TO_FLOOR} times the heated floor area (${input.heatedFloorAreaM2} m²)`,
      });
    }
    const persons = input.occupancy?.persons;
    if (
      floorOk &&
      persons !== undefined &&
      persons > Math.max(1, input.heatedFloorAreaM2 * MAX_PERSONS_PER_M2)
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["occupancy", "persons"],
        message: `at most one person per ${1 / MAX_PERSONS_PER_M2} m² of heated floor (${input.heatedFloorAreaM2} m²)`,
      });
    }
    if (g?.wallsM2 && g.windowsM2) {
      for (const o of orientations) {
        const wall = g.wallsM2[o] ?? 0;
        const window = g.windowsM2[o] ?? 0;
        if (window > wall) {
          ctx.addIssue({
            code: "custom",
            path: ["geometry", "windowsM2", o],
            message: `window area ${window} m² is larger than the ${o} wall (${wall} m²)`,
          });
        }
      }
    }
    for (const [type, field] of [
      ["wall", "wallsM2"],
      ["roof", "roofM2"],
      ["floor", "floorM2"],
    ] as const) {
      if (g?.[field] !== undefined && input.elements?.some((e) => e.type === type)) {
        ctx.addIssue({
          code: "custom",
          path: ["geometry", field],
          message: `give ${type} areas either in geometry.${field} or as ${type} elements, not both`,
        });
      }
    }
    const air = input.airtightness;
    if (air?.infiltrationAch !== undefined && air.n50 !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["airtightness", "n50"],
        message: "give either infiltrationAch or n50, not both",
      });
    }
    if (air?.shielding !== undefined && air.n50 === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["airtightness", "shielding"],
        message: "shielding applies to the n50 conversion only",
      });
    }
    if (input.apartmentPosition && input.buildingType !== "apartment") {
      ctx.addIssue({
        code: "custom",
        path: ["apartmentPosition"],
        message: "apartmentPosition applies to buildingType apartment only",
      });
    }
    for (const [path, value] of [
      [["windows", "installedYear"], input.windows?.installedYear],
      [["systems", "heating", "installedYear"], input.systems?.heating?.installedYear],
      [["systems", "cooling", "installedYear"], input.systems?.cooling?.installedYear],
      [["systems", "hotWater", "installedYear"], input.systems?.hotWater?.installedYear],
    ] as const) {
      if (value !== undefined && value < input.constructionYear) {
        ctx.addIssue({
          code: "custom",
          path: [...path],
          message: `installed in ${value}, before the home was built (${input.constructionYear})`,
        });
      }
    }
  });

export type AssessmentInput = z.output<typeof assessmentInputSchema>;
export type AssessmentInputRaw = z.input<typeof assessmentInputSchema>;
export type BuildingType = (typeof buildingTypes)[number];
export type ElementInput = NonNullable<AssessmentInput["elements"]>[number];
export type Adjacency = (typeof adjacencies)[number];
