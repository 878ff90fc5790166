import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { MarketEvent } from "../../events/market-event.ts";

/**
 * Every valid event consumed from `market.events.v1`, once per event id (a replayed id is ignored), with
 * the columns the history is filtered by and the validated event as JSON. Shared reference data, not
 * tenant-owned. `region` is the price's region ("" = national) and null for other kinds; `regions` is
 * a subsidy's list of regions (null = all regions). `topic`/`partition`/`offset` say where it came from.
 */
export const marketEvents = sqliteTable(
  "market_events",
  {
    id: text("id").primaryKey(),
    kind: text("kind").$type<MarketEvent["kind"]>().notNull(),
    tsMs: integer("ts_ms").notNull(),
    carrier: text("carrier"),
    region: text("region"),
    regions: text("regions", { mode: "json" }).$type<string[]>(),
    program: text("program"),
    event: text("event", { mode: "json" }).$type<MarketEvent>().notNull(),
    topic: text("topic").notNull(),
    partition: integer("partition").notNull(),
    offset: text("offset").notNull(),
    receivedAtMs: integer("received_at_ms").notNull(),
  },
  (t) => [
    index("market_events_ts_idx").on(t.tsMs, t.id),
    index("market_events_kind_ts_idx").on(t.kind, t.tsMs, t.id),
    index("market_events_price_ts_idx").on(t.carrier, t.region, t.tsMs, t.id),
  ],
);

export type MarketEventRow = typeof marketEvents.$inferSelect;

/**
 * The latest version of each subsidy program (by event time; equal times: the greater event id), kept
 * from `market.events.v1` together with the history. `regions` null = open to all regions.
 */
export const subsidyPrograms = sqliteTable("subsidy_programs", {
  program: text("program").primaryKey(),
  eventId: text("event_id").notNull(),
  tsMs: integer("ts_ms").notNull(),
  regions: text("regions", { mode: "json" }).$type<string[]>(),
  minClassJump: integer("min_class_jump"),
  maxSubsidyPct: real("max_subsidy_pct"),
  maxBudgetEur: real("max_budget_eur"),
  opensAtMs: integer("opens_at_ms"),
  closesAtMs: integer("closes_at_ms"),
  url: text("url"),
  updatedAtMs: integer("updated_at_ms").notNull(),
});

export type SubsidyProgramRow = typeof subsidyPrograms.$inferSelect;
