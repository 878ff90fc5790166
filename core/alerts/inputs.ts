/**
 * What the evaluator reads, gathered by the caller before each evaluation (stage 2 of the stream
 * worker, or a test). Everything is plain data; nothing here is fetched.
 */
import type { EnergyClass } from "../energy/index.ts";
import type { EnergyCarrier, MarketEvent } from "../events/market-event.ts";
import type { LatencyQuantiles } from "../latency/histogram.ts";
import type { TierStatus } from "../slo/status.ts";
import type { LatencyWindow } from "./rules.ts";

/** One SLO's tier statuses at `now`: `computeSloStatus(slo, now, counts).tiers`. */
export interface SloBurnInput {
  sloId: string;
  tiers: readonly TierStatus[];
}

/** Latency quantiles of a service (route null) or one of its routes over a trailing window. */
export interface LatencyObservation {
  service: string;
  route: string | null;
  window: LatencyWindow;
  quantiles: Pick<LatencyQuantiles, "count" | "p50" | "p90" | "p95" | "p99" | "p999">;
}

/** A price point from a `price` MarketEvent; region undefined or "" is the national price. */
export interface PricePoint {
  carrier: EnergyCarrier;
  region?: string | undefined;
  tsMs: number;
  eurPerKwh: number;
  /**
   * The market event's id: of two points at the same time the one with the greater id (by code
   * point, which is SQLite's UTF-8 byte order) is the later, as the market store decides the latest
   * price (`GET /v1/market/prices` and the assessments').
   */
  eventId?: string | undefined;
}

export type SubsidyProgram = Extract<MarketEvent, { kind: "subsidy" }>;

/** The subscriber (the tenant owning the rules): where they work and which homes they assessed. */
export interface SubscriberProfile {
  regions: readonly string[];
  /** KENAK classes of the homes they assessed (before upgrades). */
  assessedClasses: readonly EnergyClass[];
}

export interface EvaluationInputs {
  slo?: readonly SloBurnInput[];
  latency?: readonly LatencyObservation[];
  /**
   * Price history per carrier and region, in any order. For a % change over a window W, include at
   * least the last point at or before now − W (the price in effect when the window opened).
   */
  prices?: readonly PricePoint[];
  /** Subsidy program versions (new or all current ones: alerts are edge-triggered per version). */
  subsidies?: { programs: readonly SubsidyProgram[]; subscriber: SubscriberProfile };
}
