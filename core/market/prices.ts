/**
 * The energy prices an assessment uses: for each carrier the latest market price of the home's region,
 * else the national one (region ""), read in one query. Carriers without a market price are left out
 * and the engine uses its shipped reference price (and says so in the result).
 *
 * Against a libSQL server that read is a round trip per assessment for data that changes a few times
 * a day, so the process (Worker isolate) keeps each region's answer for a short TTL
 * (`MARKET_PRICE_CACHE_TTL_MS`, 2 s by default; 0 turns it off): a consumed price reaches assessments at
 * most that much later. An embedded file is read every time (no round trip to save).
 */
import { and, eq, or, sql } from "drizzle-orm";
import { type Database, libsqlClient } from "../db/database.ts";
import { perDatabase } from "../db/prepared.ts";
import { remoteDatabaseOf } from "../db/remote-database.ts";
import { marketPrices } from "../db/schema/index.ts";
import { type Carrier, energyCarriers, type PriceInput } from "../energy/index.ts";

const carriers = new Set<string>(energyCarriers);

/** The national and one region's latest prices, prepared once per database handle. */
const pricesQuery = perDatabase((db) =>
  db
    .select()
    .from(marketPrices)
    .where(or(eq(marketPrices.region, ""), eq(marketPrices.region, sql.placeholder("region"))))
    .prepare(),
);

export async function latestPrices(
  db: Database,
  region?: string,
): Promise<Partial<Record<Carrier, PriceInput>>> {
  const remote = remoteDatabaseOf(libsqlClient(db))?.remote;
  if (!remote) return readLatestPrices(db, region);
  const prices = await remote.cached(`latestPrices\u0000${region ?? ""}`, () =>
    readLatestPrices(db, region),
  );
  // A copy per caller: the cached objects are shared by the isolate's requests.
  return Object.fromEntries(Object.entries(prices).map(([carrier, p]) => [carrier, { ...p }]));
}

async function readLatestPrices(
  db: Database,
  region?: string,
): Promise<Partial<Record<Carrier, PriceInput>>> {
  const rows = await pricesQuery(db).all({ region: region ?? "" });
  const prices: Partial<Record<Carrier, PriceInput>> = {};
  const regional = new Set<string>();
  for (const row of rows) {
    if (!carriers.has(row.carrier)) continue;
    const carrier = row.carrier as Carrier;
    if (regional.has(carrier) && row.region === "") continue;
    prices[carrier] = {
      eurPerKwh: row.eurPerKwh,
      asOf: new Date(row.asOfMs).toISOString().slice(0, 10),
      source: `${row.source} (market event ${row.eventId}${row.region ? `, ${row.region}` : ", national"})`,
    };
    if (row.region !== "") regional.add(carrier);
  }
  return prices;
}

/** A latest price as the API shows it: `region` null = national. */
export interface LatestPrice {
  carrier: string;
  region: string | null;
  eurPerKwh: number;
  asOfMs: number;
  source: string;
  eventId: string;
  updatedAtMs: number;
}

/** The national region's name in filters (its rows have region ""). */
export const nationalRegion = "national";

/** Every latest price, optionally of one carrier and one region (`national` for the national ones). */
export async function listLatestPrices(
  db: Database,
  filter: { carrier?: string | undefined; region?: string | undefined } = {},
): Promise<LatestPrice[]> {
  const conditions = [
    filter.carrier === undefined ? undefined : eq(marketPrices.carrier, filter.carrier),
    filter.region === undefined
      ? undefined
      : eq(marketPrices.region, filter.region === nationalRegion ? "" : filter.region),
  ];
  const rows = await db
    .select()
    .from(marketPrices)
    .where(and(...conditions))
    .orderBy(marketPrices.carrier, marketPrices.region);
  return rows.map((row) => ({ ...row, region: row.region === "" ? null : row.region }));
}
