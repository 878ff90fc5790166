/**
 * Synthetic market events for the load generator: mostly prices (a random walk per carrier and
 * region around the shipped reference prices), now and then a subsidy program update or a regulation.
 * Deterministic for a given seed; keys follow docs/architecture.md (`market:carrier` or the program id).
 */
import type { Prefecture } from "../../core/energy/reference/zones.ts";
import type { EnergyCarrier, MarketEventInput } from "../../core/events/market-event.ts";
import { energyCarriers } from "../../core/events/market-event.ts";
import { createRng } from "../../core/random/rng.ts";

/**
 * Regions as assessments name them (the prefectures of core/energy/reference/zones.ts), so the
 * synthetic prices and programs apply to assessed homes; undefined is the national price.
 */
const regions: readonly (Prefecture | undefined)[] = [
  undefined,
  "Attica",
  "Thessaloniki",
  "Heraklion",
  "Achaia",
  "Larisa",
];
/** A regional program's prefectures: Attica and the four of Crete. */
const programRegions: Prefecture[] = ["Attica", "Heraklion", "Chania", "Rethymno", "Lasithi"];
const startPrices: Record<EnergyCarrier, number> = {
  electricity: 0.24,
  natural_gas: 0.074,
  heating_oil: 0.111,
  biomass: 0.065,
};
const programs = ["exoikonomo-2025", "exoikonomo-islands", "heat-pump-grant"] as const;

export interface MarketMessage {
  key: string;
  event: MarketEventInput;
}

export function createMarketTraffic(seed: number) {
  const rng = createRng(seed);
  const runId = Math.floor(rng() * 2 ** 32).toString(36);
  const current = new Map<string, number>();
  let counter = 0;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rng() * list.length)] as T;

  return (nowMs: number): MarketMessage => {
    counter += 1;
    const id = `mkt-${runId}-${counter}`;
    const roll = rng();
    if (roll < 0.02) {
      const program = pick(programs);
      return {
        key: program,
        event: {
          id,
          ts: nowMs,
          kind: "subsidy",
          program,
          regions: rng() < 0.5 ? "all" : [...programRegions],
          minClassJump: 3,
          maxSubsidyPct: Math.round(40 + rng() * 50),
        },
      };
    }
    if (roll < 0.025) {
      return {
        key: "regulation",
        event: { id, ts: nowMs, kind: "regulation", title: "KENAK update", summary: "synthetic" },
      };
    }
    const carrier = pick(energyCarriers);
    const region = pick(regions);
    const series = `${carrier}/${region ?? ""}`;
    const previous = current.get(series) ?? startPrices[carrier];
    const value = Math.min(9.99, Math.max(0.01, previous * (1 + (rng() - 0.5) * 0.04)));
    current.set(series, value);
    return {
      key: `market:${carrier}`,
      event: {
        id,
        ts: nowMs,
        kind: "price",
        market: "GR",
        carrier,
        ...(region ? { region } : {}),
        value: Math.round(value * 10_000) / 10_000,
        unit: "EUR/kWh",
      },
    };
  };
}
