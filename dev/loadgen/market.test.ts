import { describe, expect, it } from "vitest";
import { prefectureNames } from "../../core/energy/reference/zones.ts";
import { marketEventSchema } from "../../core/events/market-event.ts";
import { createMarketTraffic } from "./market.ts";

describe("synthetic market events", () => {
  const next = createMarketTraffic(7);
  const messages = Array.from({ length: 5000 }, (_, i) => next(1_795_000_000_000 + i));

  it("are valid MarketEvents with unique ids and architecture keys", () => {
    for (const { key, event } of messages) {
      const parsed = marketEventSchema.parse(event);
      if (parsed.kind === "price") expect(key).toBe(`market:${parsed.carrier}`);
      if (parsed.kind === "subsidy") expect(key).toBe(parsed.program);
    }
    expect(new Set(messages.map((m) => m.event.id)).size).toBe(messages.length);
  });

  it("name regions as assessments do (prefectures), so their prices and programs apply", () => {
    const prefectures = new Set<string>(prefectureNames);
    const regions = new Set<string>();
    for (const { event } of messages) {
      if (event.kind === "price" && event.region !== undefined) regions.add(event.region);
      if (event.kind === "subsidy" && event.regions !== "all")
        for (const region of event.regions) regions.add(region);
    }
    expect(regions.size).toBeGreaterThan(3);
    expect([...regions].filter((r) => !prefectures.has(r))).toEqual([]);
  });

  it("are mostly prices, with some subsidies and regulations", () => {
    const kinds = Object.groupBy(messages, (m) => m.event.kind);
    expect(kinds.price?.length).toBeGreaterThan(4700);
    expect(kinds.subsidy?.length).toBeGreaterThan(40);
    expect(kinds.regulation?.length).toBeGreaterThan(5);
  });
});
