/**
 * Reads of the market-event history (`market_events`), newest first, with keyset pagination
 * (core/db/keyset.ts), so pages stay stable while new events arrive.
 * Runtime-neutral (no Buffer): the API serves it on Node and Workers.
 */
import { and, desc, eq, gte, lt, or, type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { type EventCursor, keysetPage, olderThan } from "../db/keyset.ts";
import { type MarketEventRow, marketEvents } from "../db/schema/index.ts";
import type { MarketEvent } from "../events/market-event.ts";
import { nationalRegion } from "./prices.ts";

export interface MarketEventFilter {
  kind?: MarketEvent["kind"] | undefined;
  carrier?: string | undefined;
  /** Price events of the region (`national`: without one) and subsidies open to it (listed or all). */
  region?: string | undefined;
  /** Event time, inclusive. */
  fromMs?: number | undefined;
  /** Event time, exclusive. */
  toMs?: number | undefined;
}

export interface MarketEventPage {
  events: MarketEventRow[];
  next: EventCursor | null;
}

export async function listMarketEvents(
  db: Database,
  filter: MarketEventFilter,
  page: { limit: number; after?: EventCursor | undefined },
): Promise<MarketEventPage> {
  const conditions: (SQL | undefined)[] = [
    filter.kind === undefined ? undefined : eq(marketEvents.kind, filter.kind),
    filter.carrier === undefined ? undefined : eq(marketEvents.carrier, filter.carrier),
    filter.region === undefined ? undefined : regionCondition(filter.region),
    filter.fromMs === undefined ? undefined : gte(marketEvents.tsMs, filter.fromMs),
    filter.toMs === undefined ? undefined : lt(marketEvents.tsMs, filter.toMs),
    olderThan(marketEvents.tsMs, marketEvents.id, page.after),
  ];
  const rows = await db
    .select()
    .from(marketEvents)
    .where(and(...conditions))
    .orderBy(desc(marketEvents.tsMs), desc(marketEvents.id))
    .limit(page.limit + 1);
  const { rows: events, next } = keysetPage(rows, page.limit, (r) => ({ tsMs: r.tsMs, id: r.id }));
  return { events, next };
}

function regionCondition(region: string): SQL {
  if (region === nationalRegion)
    return and(eq(marketEvents.kind, "price"), eq(marketEvents.region, "")) as SQL;
  return or(
    and(eq(marketEvents.kind, "price"), eq(marketEvents.region, region)),
    and(
      eq(marketEvents.kind, "subsidy"),
      or(
        sql`${marketEvents.regions} is null`,
        sql`exists (select 1 from json_each(${marketEvents.regions}) where value = ${region})`,
      ),
    ),
  ) as SQL;
}
