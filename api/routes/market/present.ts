import type { MarketEventRow } from "../../../core/db/schema/index.ts";
import type { LatestPrice } from "../../../core/market/prices.ts";
import { iso } from "../shared/rows.ts";

export function presentPrice(price: LatestPrice) {
  return {
    carrier: price.carrier,
    region: price.region,
    eurPerKwh: price.eurPerKwh,
    unit: "EUR/kWh" as const,
    asOf: iso(price.asOfMs),
    source: price.source,
    eventId: price.eventId,
    updatedAt: iso(price.updatedAtMs),
  };
}

const isoIfSet = <K extends string>(key: K, ms: number | undefined) =>
  (ms === undefined ? {} : { [key]: iso(ms) }) as Partial<Record<K, string>>;

/** The stored event with its instants (epoch ms in storage) as RFC 3339. */
export function presentEvent(row: MarketEventRow) {
  const event = row.event;
  const base = { ts: iso(event.ts), receivedAt: iso(row.receivedAtMs) };
  switch (event.kind) {
    case "price":
      return { ...event, ...base };
    case "subsidy": {
      const { opensAt, closesAt, ...rest } = event;
      return {
        ...rest,
        ...base,
        ...isoIfSet("opensAt", opensAt),
        ...isoIfSet("closesAt", closesAt),
      };
    }
    case "regulation": {
      const { effectiveAt, ...rest } = event;
      return { ...rest, ...base, ...isoIfSet("effectiveAt", effectiveAt) };
    }
  }
}
