import { integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The latest retail price per energy carrier and region (region "" = national), kept up to date from
 * `market.events.v1`. Assessments price energy with these rows, falling back to the engine's shipped
 * reference prices for carriers without one.
 */
export const marketPrices = sqliteTable(
  "market_prices",
  {
    carrier: text("carrier").notNull(),
    region: text("region").notNull().default(""),
    eurPerKwh: real("eur_per_kwh").notNull(),
    asOfMs: integer("as_of_ms").notNull(),
    source: text("source").notNull(),
    eventId: text("event_id").notNull(),
    updatedAtMs: integer("updated_at_ms").notNull(),
  },
  (t) => [primaryKey({ columns: [t.carrier, t.region] })],
);

export type MarketPriceRow = typeof marketPrices.$inferSelect;
