/**
 * Reads of the market-event history (`market_events`), newest first, with keyset pagination
 * (core/db/keyset.ts), so pages stay stable while new events arrive.
 * Runtime-neutral (no Buffer): the API serves it on Node and Workers.
 */
import { and, desc, eq, gte, lt, or, type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { type EventCursor, keysetPage } from "../db/keyset.ts";
import { perDatabase } from "../db/prepared.ts";
import { type MarketEventRow, marketEvents } from "../db/schema/index.ts";
import type { MarketEvent } from "../events/market-event.ts";
import { nationalRegion } from "./prices.ts";
import { regionKey } from "./regions.ts";

export interface MarketEventFilter {
  kind?: MarketEvent["kind"] | undefined;
  carrier?: string | undefined;
  /**
   * Price events of the region as written (`national`: without one) and subsidies open to it (listed,
   * compared trimmed and case-insensitively as subsidy alerts match, or all).
   */
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

/**
 * The history query for one filter shape (which filters are set, a national or a named region, a
 * cursor or not), prepared once per database with placeholders: building a drizzle query costs
 * several times what running it does.
 */
const byShape = perDatabase(
  () => new Map<string, { all(values: Record<string, unknown>): Promise<MarketEventRow[]> }>(),
);

function preparedFor(db: Database, filter: MarketEventFilter, after: boolean) {
  const national = filter.region === nationalRegion;
  const shape = [
    filter.kind !== undefined,
    filter.carrier !== undefined,
    filter.region === undefined ? "" : national ? "national" : "region",
    filter.fromMs !== undefined,
    filter.toMs !== undefined,
    after,
  ].join("|");
  const queries = byShape(db);
  let query = queries.get(shape);
  if (!query) {
    const p = sql.placeholder;
    const conditions: (SQL | undefined)[] = [
      filter.kind === undefined ? undefined : eq(marketEvents.kind, p("kind")),
      filter.carrier === undefined ? undefined : eq(marketEvents.carrier, p("carrier")),
      filter.region === undefined ? undefined : regionCondition(national),
      filter.fromMs === undefined ? undefined : gte(marketEvents.tsMs, p("fromMs")),
      filter.toMs === undefined ? undefined : lt(marketEvents.tsMs, p("toMs")),
      after
        ? or(
            lt(marketEvents.tsMs, p("afterTs")),
            and(eq(marketEvents.tsMs, p("afterTs")), lt(marketEvents.id, p("afterId"))),
          )
        : undefined,
    ];
    query = db
      .select()
      .from(marketEvents)
      .where(and(...conditions))
      .orderBy(desc(marketEvents.tsMs), desc(marketEvents.id))
      .limit(p("limit"))
      .prepare();
    queries.set(shape, query);
  }
  return query;
}

export async function listMarketEvents(
  db: Database,
  filter: MarketEventFilter,
  page: { limit: number; after?: EventCursor | undefined },
): Promise<MarketEventPage> {
  const values: Record<string, unknown> = { limit: page.limit + 1 };
  if (filter.kind !== undefined) values.kind = filter.kind;
  if (filter.carrier !== undefined) values.carrier = filter.carrier;
  if (filter.region !== undefined && filter.region !== nationalRegion) {
    values.region = filter.region;
    values.regionKey = regionKey(filter.region);
  }
  if (filter.fromMs !== undefined) values.fromMs = filter.fromMs;
  if (filter.toMs !== undefined) values.toMs = filter.toMs;
  if (page.after) {
    values.afterTs = page.after.tsMs;
    values.afterId = page.after.id;
  }
  const rows = await preparedFor(db, filter, page.after !== undefined).all(values);
  const { rows: events, next } = keysetPage(rows, page.limit, (r) => ({ tsMs: r.tsMs, id: r.id }));
  return { events, next };
}

/**
 * A price's region equals the requested one as written (assessments and price rules look prices up
 * so). A subsidy is open to it when it covers all regions or one whose key (trimmed, lower-cased:
 * core/market/regions.ts) is the requested region's: the market stage stores subsidy regions by their
 * key, and `lower(trim(…))` also folds rows stored as written before it did (ASCII letters, spaces).
 */
function regionCondition(national: boolean): SQL {
  if (national) return and(eq(marketEvents.kind, "price"), eq(marketEvents.region, "")) as SQL;
  const region = sql.placeholder("region");
  const key = sql.placeholder("regionKey");
  return or(
    and(eq(marketEvents.kind, "price"), eq(marketEvents.region, region)),
    and(
      eq(marketEvents.kind, "subsidy"),
      or(
        sql`${marketEvents.regions} is null`,
        sql`exists (select 1 from json_each(${marketEvents.regions}) where lower(trim(value)) = ${key})`,
      ),
    ),
  ) as SQL;
}
