/**
 * Reads of the market-event history (`market_events`), newest first, with keyset pagination: a cursor
 * names the last event of a page by (event time, id), so pages stay stable while new events arrive.
 * Runtime-neutral (no Buffer): the API serves it on Node and Workers.
 */
import { and, desc, eq, gte, lt, or, type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/database.ts";
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

export interface EventCursor {
  tsMs: number;
  id: string;
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
    page.after === undefined
      ? undefined
      : or(
          lt(marketEvents.tsMs, page.after.tsMs),
          and(eq(marketEvents.tsMs, page.after.tsMs), lt(marketEvents.id, page.after.id)),
        ),
  ];
  const rows = await db
    .select()
    .from(marketEvents)
    .where(and(...conditions))
    .orderBy(desc(marketEvents.tsMs), desc(marketEvents.id))
    .limit(page.limit + 1);
  const events = rows.slice(0, page.limit);
  const last = events.at(-1);
  return {
    events,
    next: rows.length > page.limit && last ? { tsMs: last.tsMs, id: last.id } : null,
  };
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

/** An opaque, URL-safe cursor: base64url of `[tsMs, id]`. */
export function encodeCursor(cursor: EventCursor): string {
  const bytes = new TextEncoder().encode(JSON.stringify([cursor.tsMs, cursor.id]));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The cursor in `text`, or undefined when it is not one this API issued. */
export function decodeCursor(text: string): EventCursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(text)) return undefined;
  try {
    const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
    const bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      Number.isSafeInteger(value[0]) &&
      typeof value[1] === "string" &&
      value[1].length > 0 &&
      value[1].length <= 128
    ) {
      return { tsMs: value[0], id: value[1] };
    }
  } catch {
    // not base64 or not JSON: not ours
  }
  return undefined;
}
