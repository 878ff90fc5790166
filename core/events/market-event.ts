/**
 * MarketEvent: energy-market news on `market.events.v1` (key = `market:carrier` or program id):
 * retail price points, subsidy programs and regulations.
 */
import { z } from "zod";
import { eventTimestamp } from "./timestamp.ts";

export const energyCarriers = ["electricity", "natural_gas", "heating_oil", "biomass"] as const;
export type EnergyCarrier = (typeof energyCarriers)[number];

const base = {
  id: z.string().min(1).max(128),
  ts: eventTimestamp,
};

const optionalUrl = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .optional();

export const priceEventSchema = z.strictObject({
  ...base,
  kind: z.literal("price"),
  market: z.literal("GR"),
  carrier: z.enum(energyCarriers),
  region: z.string().min(1).max(64).optional(),
  value: z.number().finite().positive().max(10),
  unit: z.literal("EUR/kWh"),
});

export const subsidyEventSchema = z.strictObject({
  ...base,
  kind: z.literal("subsidy"),
  program: z.string().min(1).max(200),
  regions: z.union([z.literal("all"), z.array(z.string().min(1).max(64)).min(1)]),
  minClassJump: z.number().int().min(1).max(8).optional(),
  maxSubsidyPct: z.number().min(0).max(100).optional(),
  maxBudgetEur: z.number().min(0).optional(),
  opensAt: eventTimestamp.optional(),
  closesAt: eventTimestamp.optional(),
  url: optionalUrl,
});

export const regulationEventSchema = z.strictObject({
  ...base,
  kind: z.literal("regulation"),
  title: z.string().min(1).max(300),
  summary: z.string().min(1).max(5000),
  effectiveAt: eventTimestamp.optional(),
  url: optionalUrl,
});

export const marketEventSchema = z.discriminatedUnion("kind", [
  priceEventSchema,
  subsidyEventSchema,
  regulationEventSchema,
]);

export type MarketEvent = z.output<typeof marketEventSchema>;
export type MarketEventInput = z.input<typeof marketEventSchema>;
