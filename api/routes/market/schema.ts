import { z } from "zod";
import { energyCarriers } from "../../../core/events/market-event.ts";
import { pageQueryFields, pageSchema } from "../../conventions/pagination.ts";
import { instant } from "../shared/query.ts";
import { secured } from "../shared/schema.ts";

export const marketOperation = secured("Market");

/**
 * Why market data is shared, not tenant-owned: it comes only from the market.events.v1 feed (public
 * retail prices, published subsidy programs and regulations), never from a tenant's requests, and no
 * tenant's action changes what another sees. A valid key with the read scope is still required.
 */
export const sharedDataNote =
  "Market data is shared reference data, not tenant-owned: it comes only from the market-events feed (public retail prices, published subsidy programs and regulations), never from any tenant's requests or assessments, so every tenant sees the same rows and nothing about another tenant can be learned from them. A valid API key with the read scope is still required.";

const carrier = z.enum(energyCarriers);
const region = z
  .string()
  .min(1)
  .max(64)
  .describe("a prefecture as assessments and market events name it (e.g. Attica), or `national`");

export const pricesQuery = z.object({ carrier: carrier.optional(), region: region.optional() });

export const eventsQuery = z.object({
  kind: z.enum(["price", "subsidy", "regulation"]).optional(),
  carrier: carrier.optional().describe("price events of this carrier"),
  region: region
    .optional()
    .describe(
      "price events of this region as written (`national`: without a region) and subsidy programs open to it (`all`, or a listed region equal to it trimmed and case-insensitively, as subsidy alerts match)",
    ),
  from: instant.optional().describe("event time from (inclusive), RFC 3339 or epoch ms"),
  to: instant.optional().describe("event time until (exclusive), RFC 3339 or epoch ms"),
  ...pageQueryFields,
});

export const marketPriceSchema = z
  .object({
    carrier: z.string(),
    region: z.string().nullable().describe("null: the national price"),
    eurPerKwh: z.number(),
    unit: z.literal("EUR/kWh"),
    asOf: z.iso.datetime().describe("event time of the price"),
    source: z.string().describe("where the price came from (the topic)"),
    eventId: z.string(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "MarketPrice" });

export const marketPriceListSchema = z
  .object({ data: z.array(marketPriceSchema) })
  .meta({ id: "MarketPriceList" });

const eventBase = {
  id: z.string(),
  ts: z.iso.datetime(),
  receivedAt: z.iso.datetime(),
};
const url = z.string().optional();

export const marketEventSchema = z
  .discriminatedUnion("kind", [
    z.object({
      ...eventBase,
      kind: z.literal("price"),
      market: z.string(),
      carrier,
      region: z.string().optional(),
      value: z.number(),
      unit: z.literal("EUR/kWh"),
    }),
    z.object({
      ...eventBase,
      kind: z.literal("subsidy"),
      program: z.string(),
      regions: z.union([z.literal("all"), z.array(z.string())]),
      minClassJump: z.number().int().optional(),
      maxSubsidyPct: z.number().optional(),
      maxBudgetEur: z.number().optional(),
      opensAt: z.iso.datetime().optional(),
      closesAt: z.iso.datetime().optional(),
      url,
    }),
    z.object({
      ...eventBase,
      kind: z.literal("regulation"),
      title: z.string(),
      summary: z.string(),
      effectiveAt: z.iso.datetime().optional(),
      url,
    }),
  ])
  .meta({ id: "MarketEvent" });

export const marketEventPageSchema = pageSchema(marketEventSchema, "MarketEventPage");
