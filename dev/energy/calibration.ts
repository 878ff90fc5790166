/**
 * `npm run energy:calibration`: the engine's figures for the TABULA Greek archetypes (single-family and
 * multi-family houses of the four TABULA periods) in each zone's reference station, next to the
 * published Greek EPC statistics the shared reference data carries, plus the three contrasting homes of
 * issue 3. Defaults only: U-values, geometry and systems come from the engine's documented defaults.
 *
 * Published comparison points (YPEN EPC statistics 2011-2019 via bbk.gr): mean primary energy of
 * detached houses 415 kWh/m², of apartments 265 kWh/m² (heating 174, cooling 32, hot water 55); class
 * shares of residential EPCs: E-H 65 %, C-D 32 %, A-B 3 % (EnergyHub for All).
 *
 * Then the same three homes with only location, type, year and area (the typical systems of their
 * cohort estimated), each with its class distribution and compute time with and without uncertainty,
 * and the 32 archetypes with minimal input next to the same homes with the period's oil boiler declared.
 */
import { type AssessmentInputRaw, assess, energyClasses } from "../../core/energy/index.ts";

const NOW = "2026-03-01T00:00:00Z";
const zones = [
  ["A", "heraklion"],
  ["B", "athens"],
  ["C", "thessaloniki"],
  ["D", "kozani"],
] as const;
const periods = [
  ["<=1980", 1970],
  ["1981-2000", 1990],
  ["2001-2010", 2005],
  [">=2011", 2015],
] as const;

type Row = Record<string, string | number>;

function row(label: string, raw: AssessmentInputRaw): Row {
  const a = assess(raw, { now: NOW });
  const p = a.primaryEnergy.byUseKwhM2;
  return {
    home: label,
    heatingNeed: Math.round(a.needs.heatingKwhM2),
    coolingNeed: Math.round(a.needs.coolingKwhM2),
    hotWaterNeed: Math.round(a.needs.hotWaterKwhM2),
    EP: Math.round(a.primaryEnergy.kwhM2),
    "EP heat/cool/dhw": `${Math.round(p.heating)}/${Math.round(p.cooling)}/${Math.round(p.hotWater)}`,
    EPref: Math.round(a.rating.referenceBuilding.primaryEnergyKwhM2),
    T: Number(a.rating.ratio.toFixed(2)),
    class: a.rating.energyClass,
  };
}

const archetypes: Row[] = [];
for (const [zone, station] of zones) {
  for (const [period, year] of periods) {
    const common = {
      location: { station },
      constructionYear: year,
      systems: {
        heating: { type: "oil_boiler" as const },
        cooling: { type: "split_units" as const },
        hotWater: { type: "electric" as const },
      },
    };
    archetypes.push(
      row(`${zone} SFH ${period}`, {
        ...common,
        buildingType: "detached_house",
        heatedFloorAreaM2: 120,
        storeys: 2,
        solarThermal: {},
      }),
      row(`${zone} MFH ${period}`, {
        ...common,
        buildingType: "apartment_block",
        heatedFloorAreaM2: 800,
        storeys: 4,
      }),
    );
  }
}
console.log(
  "TABULA GR archetypes (oil boiler of the period, split units; SFH with a solar water heater)",
);
console.table(archetypes);

const mean = (rows: Row[]) => rows.reduce((s, r) => s + (r.EP as number), 0) / rows.length;
const existing = (kind: string) =>
  archetypes.filter((r) => String(r.home).includes(kind) && !String(r.home).includes(">=2011"));
console.log(
  `mean EP of pre-2011 archetypes: SFH ${Math.round(mean(existing("SFH")))} kWh/m² (EPC mean for detached houses 415), ` +
    `MFH ${Math.round(mean(existing("MFH")))} kWh/m² (EPC mean for apartments 265)`,
);

const apartments: Row[] = [];
for (const [zone, station] of zones) {
  for (const [period, year] of periods.slice(0, 3)) {
    apartments.push(
      row(`${zone} apartment (middle) ${period}`, {
        location: { station },
        buildingType: "apartment",
        apartmentPosition: "middle",
        constructionYear: year,
        heatedFloorAreaM2: 85,
        storeys: 1,
        systems: {
          heating: { type: "oil_boiler" },
          cooling: { type: "split_units" },
          hotWater: { type: "electric" },
        },
      }),
    );
  }
}
console.log(
  "\nIntermediate apartments of pre-2011 blocks (central oil, split units, electric water heater)",
);
console.table(apartments);
console.log(
  `mean EP of these apartments: ${Math.round(mean(apartments))} kWh/m² (EPC mean for apartments 265)`,
);

const contrasting: [string, AssessmentInputRaw][] = [
  [
    "pre-1980 detached house, Florina (oil, no AC)",
    {
      location: { prefecture: "Florina" },
      buildingType: "detached_house",
      constructionYear: 1975,
      heatedFloorAreaM2: 120,
      storeys: 2,
      systems: {
        heating: { type: "oil_boiler" },
        cooling: { type: "none" },
        hotWater: { type: "electric" },
      },
    },
  ],
  [
    "1990s apartment, Athens (gas, split units)",
    {
      location: { prefecture: "Attica" },
      buildingType: "apartment",
      constructionYear: 1995,
      heatedFloorAreaM2: 90,
      storeys: 1,
      systems: {
        heating: { type: "gas_boiler" },
        cooling: { type: "split_units" },
        hotWater: { type: "heating_system" },
      },
    },
  ],
  [
    "post-2011 house, Heraklion (heat pump, solar)",
    {
      location: { prefecture: "Heraklion" },
      buildingType: "detached_house",
      constructionYear: 2015,
      heatedFloorAreaM2: 150,
      storeys: 2,
      systems: {
        heating: { type: "heat_pump_air_water" },
        cooling: { type: "split_units" },
        hotWater: { type: "heating_system" },
      },
      solarThermal: {},
    },
  ],
];
console.log("\nThree contrasting homes");
console.table(contrasting.map(([label, raw]) => row(label, raw)));

/** Median and p99 of `runs` timed calls (after a warm-up), ms. */
function timed(fn: () => unknown, runs = 200): string {
  for (let i = 0; i < 50; i++) fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  const q = (p: number) =>
    (t[Math.min(t.length - 1, Math.floor(p * t.length))] as number).toFixed(2);
  return `${q(0.5)} / ${q(0.99)}`;
}

const minimalOf = (raw: AssessmentInputRaw): AssessmentInputRaw => ({
  location: raw.location,
  buildingType: raw.buildingType,
  constructionYear: raw.constructionYear,
  heatedFloorAreaM2: raw.heatedFloorAreaM2,
});
console.log(
  "\nWith their uncertainty: as declared, and with only location, type, year and area (compute ms p50 / p99)",
);
console.table(
  contrasting.flatMap(([label, raw]) =>
    [
      [label, raw],
      [`  minimal: ${label.split(" (")[0]}`, minimalOf(raw)],
    ].map(([l, r]) => {
      const input = r as AssessmentInputRaw;
      const a = assess(input, { now: NOW, uncertainty: true });
      const u = a.uncertainty;
      const ep = u?.primaryEnergyKwhM2;
      return {
        home: l as string,
        class: a.rating.energyClass,
        EP: Math.round(a.primaryEnergy.kwhM2),
        distribution: u?.summary ?? "",
        "EP p10/p50/p90": ep
          ? `${Math.round(ep.p10)}/${Math.round(ep.p50)}/${Math.round(ep.p90)}`
          : "",
        "cost p10/p50/p90": u
          ? `${Math.round(u.annualCostEur.p10)}/${Math.round(u.annualCostEur.p50)}/${Math.round(u.annualCostEur.p90)}`
          : "",
        narrowMost: u?.narrowMost?.field ?? "",
        "ms plain": timed(() => assess(input, { now: NOW })),
        "ms +uncertainty": timed(() => assess(input, { now: NOW, uncertainty: true })),
      };
    }),
  ),
);

// The 32 archetypes (4 zones x 4 periods x house / block) with minimal input, against the same homes
// with the period's typical oil boiler declared (the rest left to the engine), and with a stated
// "none" (the TOTEE theoretical systems, the engine's old reading of a missing system).
const comparison = zones.flatMap(([, station]) =>
  periods.flatMap(([, year]) =>
    (["detached_house", "apartment_block"] as const).map((buildingType) => {
      const minimal: AssessmentInputRaw = {
        location: { station },
        buildingType,
        constructionYear: year,
        heatedFloorAreaM2: buildingType === "detached_house" ? 120 : 800,
      };
      const a = assess(minimal, { now: NOW });
      const oil = assess(
        { ...minimal, systems: { heating: { type: "oil_boiler" } } },
        { now: NOW },
      );
      const none = assess(
        {
          ...minimal,
          systems: {
            heating: { type: "none" },
            cooling: { type: "none" },
            hotWater: { type: "none" },
          },
        },
        { now: NOW },
      );
      return { a, oil, none };
    }),
  ),
);
const ratioStats = (pick: (c: (typeof comparison)[number]) => number) => {
  const r = comparison.map(pick);
  return `${(r.reduce((s, x) => s + x, 0) / r.length).toFixed(2)}x (${Math.min(...r).toFixed(2)}-${Math.max(...r).toFixed(2)}x)`;
};
const worse = (
  pick: (c: (typeof comparison)[number]) => string,
  ref: (c: (typeof comparison)[number]) => string,
) =>
  comparison.filter(
    (c) => energyClasses.indexOf(pick(c) as never) > energyClasses.indexOf(ref(c) as never),
  ).length;
console.log(
  `\n32 archetypes, minimal input vs the period's oil boiler declared: EP ${ratioStats((c) => c.a.primaryEnergy.kwhM2 / c.oil.primaryEnergy.kwhM2)}, ` +
    `class worse in ${worse(
      (c) => c.a.rating.energyClass,
      (c) => c.oil.rating.energyClass,
    )} of 32, better in ${worse(
      (c) => c.oil.rating.energyClass,
      (c) => c.a.rating.energyClass,
    )}; ` +
    `stated "none" (TOTEE theoretical systems) vs oil boiler declared: EP ${ratioStats((c) => c.none.primaryEnergy.kwhM2 / c.oil.primaryEnergy.kwhM2)}, ` +
    `class worse in ${worse(
      (c) => c.none.rating.energyClass,
      (c) => c.oil.rating.energyClass,
    )} of 32`,
);
