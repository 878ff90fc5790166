import { describe, expect, it } from "vitest";
import { marketEventSchema } from "./market-event.ts";

describe("MarketEvent", () => {
  it("accepts each kind", () => {
    const events = [
      {
        id: "p1",
        ts: "2026-11-01T00:00:00Z",
        kind: "price",
        market: "GR",
        carrier: "electricity",
        value: 0.21,
        unit: "EUR/kWh",
      },
      {
        id: "s1",
        ts: 1_790_000_000_000,
        kind: "subsidy",
        program: "exoikonomo-2025",
        regions: "all",
        minClassJump: 3,
        maxSubsidyPct: 75,
      },
      {
        id: "r1",
        ts: "2026-11-01T00:00:00Z",
        kind: "regulation",
        title: "KENAK revision",
        summary: "New U-max values",
        url: "https://example.gr/kenak",
      },
    ];
    for (const event of events) expect(marketEventSchema.safeParse(event).success).toBe(true);
  });

  it("rejects unknown kinds, wrong units and non-http URLs", () => {
    const price = {
      id: "p1",
      ts: "2026-11-01T00:00:00Z",
      kind: "price",
      market: "GR",
      carrier: "electricity",
      value: 0.21,
      unit: "EUR/kWh",
    };
    expect(marketEventSchema.safeParse({ ...price, kind: "tariff" }).success).toBe(false);
    expect(marketEventSchema.safeParse({ ...price, unit: "EUR/MWh" }).success).toBe(false);
    expect(
      marketEventSchema.safeParse({
        id: "r",
        ts: "2026-11-01T00:00:00Z",
        kind: "regulation",
        title: "t",
        summary: "s",
        url: "javascript:alert(1)",
      }).success,
    ).toBe(false);
  });
});
