/**
 * Default household energy prices, used where the market-prices table (fed by market events, see
 * core/market/prices.ts) has no current price for a carrier. Each carries its as-of date and source;
 * the biomass price is an estimate.
 */
import type { Carrier } from "./systems.ts";

export interface PricePoint {
  eurPerKwh: number;
  /** ISO date (YYYY-MM-DD) the price refers to. */
  asOf: string;
  source: string;
  estimate: boolean;
}

export const defaultPrices: Readonly<Record<Carrier, PricePoint>> = {
  electricity: {
    eurPerKwh: 0.24,
    asOf: "2025-12-01",
    source:
      "household retail incl. taxes: HEPI Athens Dec 2025 0.244, EC Q2 2025 0.2326 (insider.gr reports)",
    estimate: false,
  },
  natural_gas: {
    eurPerKwh: 0.074,
    asOf: "2025-12-01",
    source: "household retail incl. taxes: HEPI Athens Dec 2025 0.0737 (insider.gr report)",
    estimate: false,
  },
  heating_oil: {
    eurPerKwh: 0.111,
    asOf: "2026-01-15",
    source:
      "1.10 EUR/l national average Jan 2026 (reader.gr) / 9.9 kWh/l (11.75 kWh/kg net, EED Annex IV, x 0.845 kg/l)",
    estimate: false,
  },
  biomass: {
    eurPerKwh: 0.065,
    asOf: "2013-01-01",
    source:
      "ESTIMATE: wood pellets 0.32 EUR/kg at 5.5 kWh/kg (biomaz.gr 2012-13); TABULA GR biomass 0.054; no 2025 source",
    estimate: true,
  },
};
