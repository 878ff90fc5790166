/**
 * The energy prices an assessment uses: for each carrier the latest market price of the home's region,
 * else the national one (region ""), read in one query. Carriers without a market price are left out
 * and the engine uses its shipped reference price (and says so in the result).
 */
import { inArray } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { marketPrices } from "../db/schema/index.ts";
import { type Carrier, energyCarriers, type PriceInput } from "../energy/index.ts";

const carriers = new Set<string>(energyCarriers);

export async function latestPrices(
  db: Database,
  region?: string,
): Promise<Partial<Record<Carrier, PriceInput>>> {
  const regions = region ? ["", region] : [""];
  const rows = await db.select().from(marketPrices).where(inArray(marketPrices.region, regions));
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
