/**
 * MarketEvent: energy-market news on `market.events.v1` (key = `market:carrier` or program id):
 * retail price points, subsidy programs and regulations.
 */
import { z } from "zod";
import { plainTextPattern } from "./request-event.ts";
import { eventTimestamp } from "./timestamp.ts";

export const energyCarriers = ["electricity", "natural_gas", "heating_oil", "biomass"] as const;
export type EnergyCarrier = (typeof energyCarriers)[number];

/**
 * An id, name or title: no control character (C0, DEL, C1) and no lone UTF-16 surrogate. libSQL cuts text
 * at NUL and turns a lone surrogate into U+FFFD, so a stored id, region, program or title would not be the
 * one the event carried (a program's latest version is keyed by its name). The pattern is the one
 * RequestEvent regions use: it reads the same with or without a validator's `u` flag.
 */
const plainText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(plainTextPattern, "must not contain control characters or lone surrogates");

const base = {
  id: plainText(128),
  ts: eventTimestamp,
};

const unreserved = "A-Za-z0-9\\-._~";
const subDelims = "!$&'()*+,;=";
const pctEncoded = "%[0-9A-Fa-f]{2}";
const decOctet = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
/**
 * An http(s) URL as RFC 3986 writes one (what JSON Schema's `format: uri` checks), narrowed to what a
 * browser opens as written: `http://` or `https://` in lower case, optional userinfo, a host name
 * (letters, digits, '-' and '_'; its last label starts with a letter, so it never reads as an IPv4
 * number) or a dotted-quad IPv4 address, a port 1-65535, then path, query and fragment in URI
 * characters with valid percent-escapes. No spaces, no other characters, no IP literal in brackets.
 * The published JSON Schema carries the same pattern, so both refuse the same URLs.
 */
export const httpUrlPattern = new RegExp(
  [
    "^https?://",
    `(?:(?:[${unreserved}${subDelims}:]|${pctEncoded})*@)?`,
    `(?:${decOctet}(?:\\.${decOctet}){3}|(?:[A-Za-z0-9_-]+\\.)*[A-Za-z][A-Za-z0-9_-]*)`,
    "(?::(?:6553[0-5]|655[0-2]\\d|65[0-4]\\d\\d|6[0-4]\\d{3}|[1-5]\\d{4}|[1-9]\\d{0,3}))?",
    `(?:/(?:[${unreserved}${subDelims}:@]|${pctEncoded})*)*`,
    `(?:\\?(?:[${unreserved}${subDelims}:@/?]|${pctEncoded})*)?`,
    `(?:#(?:[${unreserved}${subDelims}:@/?]|${pctEncoded})*)?$`,
  ].join(""),
);

/** Checked as written: no trimming, so the stored URL is the one the pattern (and the schema) saw. */
const optionalUrl = z
  .string()
  .max(2048)
  .regex(
    httpUrlPattern,
    "must be an http(s) URL with a host name or IPv4 address and only URI characters (no spaces)",
  )
  .refine((url) => URL.canParse(url), "must be a URL a browser can open")
  .meta({ format: "uri" })
  .optional();

export const priceEventSchema = z.strictObject({
  ...base,
  kind: z.literal("price"),
  market: z.literal("GR"),
  carrier: z.enum(energyCarriers),
  region: plainText(64).optional(),
  value: z.number().finite().positive().max(10),
  unit: z.literal("EUR/kWh"),
});

export const subsidyEventSchema = z.strictObject({
  ...base,
  kind: z.literal("subsidy"),
  program: plainText(200),
  regions: z.union([z.literal("all"), z.array(plainText(64)).min(1)]),
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
  title: plainText(300),
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
