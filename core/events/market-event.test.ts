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

  it("accepts http(s) URLs as written and refuses other schemes, spaces and hosts a browser cannot open", () => {
    const regulation = {
      id: "r",
      ts: "2026-11-01T00:00:00Z",
      kind: "regulation",
      title: "t",
      summary: "s",
    };
    const verdict = (url: string) => marketEventSchema.safeParse({ ...regulation, url }).success;
    for (const url of [
      "https://example.gr/kenak",
      "http://localhost:8080/a/b?c=d&e=%20#f",
      "https://user:pw@1.2.3.4/",
      "https://xn--bcher-kva.example/",
    ])
      expect(verdict(url), url).toBe(true);
    for (const url of [
      "ftp://example.com/x",
      "mailto:a@example.com",
      "urn:isbn:0451450523",
      "https:example.com",
      "HTTPS://example.com/",
      "https://example.com/a b",
      " https://example.com/",
      "https://example.com/\t",
      "https://",
      "https://1.2.3.256/",
      "https://[::1]/",
      "https://example.com:65536/",
      "https://example.com/%zz",
      "https://example.com/é",
    ])
      expect(verdict(url), url).toBe(false);
    // Stored as sent (no trimming or normalising).
    const parsed = marketEventSchema.parse({ ...regulation, url: "https://Example.gr/a?b" });
    expect(parsed.kind === "regulation" && parsed.url).toBe("https://Example.gr/a?b");
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

  it("refuses control characters and lone surrogates in id, region, regions, program and title, keeps other text", () => {
    const price = {
      id: "p1",
      ts: "2026-11-01T00:00:00Z",
      kind: "price",
      market: "GR",
      carrier: "electricity",
      value: 0.21,
      unit: "EUR/kWh",
    };
    const subsidy = {
      id: "s1",
      ts: "2026-11-01T00:00:00Z",
      kind: "subsidy",
      program: "p",
      regions: "all",
    };
    const regulation = {
      id: "r1",
      ts: "2026-11-01T00:00:00Z",
      kind: "regulation",
      title: "t",
      summary: "s",
    };
    const fields = (text: string) => [
      // The id keys the event (a replayed id writes nothing): altered by libSQL, two ids would be one.
      { ...price, id: text },
      { ...price, region: text },
      { ...subsidy, regions: ["Attica", text] },
      { ...subsidy, program: text },
      { ...regulation, title: text },
    ];
    for (const bad of [
      "a\u0000b",
      "\u0001",
      "a\u001f",
      "a\u007f",
      "a\u0085",
      "a\u009f",
      "\ud800",
      "a\udfff",
      "\udc00\ud800",
      "\ud83d\ud83d",
    ])
      for (const event of fields(bad)) {
        const result = marketEventSchema.safeParse(event);
        expect(result.success, JSON.stringify(event)).toBe(false);
        expect(result.error?.issues[0]?.message).toMatch(/control characters or lone surrogates/);
      }
    for (const good of ["Κρήτη", "Αττική", "😀", "a\u00a0b", "Kefalonia & Ithaca", "a\u2028b"])
      for (const event of fields(good))
        expect(marketEventSchema.safeParse(event).success, JSON.stringify(event)).toBe(true);
  });
});
