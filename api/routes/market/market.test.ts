import { describe, expect, it } from "vitest";
import { matchSubsidy } from "../../../core/alerts/subsidy.ts";
import { marketEvents, marketPrices } from "../../../core/db/schema/index.ts";
import type { MarketEvent } from "../../../core/events/market-event.ts";
import { regionKey } from "../../../core/market/regions.ts";
import { createHarness, type Harness } from "../../testing/harness.ts";

const t0 = Date.UTC(2026, 10, 1);

const events: MarketEvent[] = [
  {
    id: "p-nat",
    ts: t0,
    kind: "price",
    market: "GR",
    carrier: "electricity",
    value: 0.2,
    unit: "EUR/kWh",
  },
  {
    id: "p-att",
    ts: t0 + 1000,
    kind: "price",
    market: "GR",
    carrier: "electricity",
    region: "Attica",
    value: 0.25,
    unit: "EUR/kWh",
  },
  {
    id: "p-gas",
    ts: t0 + 2000,
    kind: "price",
    market: "GR",
    carrier: "natural_gas",
    region: "Attica",
    value: 0.08,
    unit: "EUR/kWh",
  },
  {
    id: "s-crete",
    ts: t0 + 3000,
    kind: "subsidy",
    program: "islands",
    regions: ["Crete"],
    opensAt: t0 + 86_400_000,
  },
  { id: "s-all", ts: t0 + 4000, kind: "subsidy", program: "exoikonomo", regions: "all" },
  {
    id: "r-1",
    ts: t0 + 5000,
    kind: "regulation",
    title: "KENAK",
    summary: "new U-max",
    effectiveAt: t0 + 10 * 86_400_000,
  },
];

async function seeded(): Promise<Harness> {
  const h = await createHarness();
  await h.db.insert(marketEvents).values(
    events.map((event, i) => ({
      id: event.id,
      kind: event.kind,
      tsMs: event.ts,
      carrier: event.kind === "price" ? event.carrier : null,
      region: event.kind === "price" ? (event.region ?? "") : null,
      regions: event.kind === "subsidy" && event.regions !== "all" ? event.regions : null,
      program: event.kind === "subsidy" ? event.program : null,
      event,
      topic: "market.events.v1",
      partition: 0,
      offset: String(i),
      receivedAtMs: t0 + 60_000,
    })),
  );
  await h.db.insert(marketPrices).values(
    events.flatMap((e) =>
      e.kind === "price"
        ? [
            {
              carrier: e.carrier,
              region: e.region ?? "",
              eurPerKwh: e.value,
              asOfMs: e.ts,
              source: "market.events.v1",
              eventId: e.id,
              updatedAtMs: t0 + 60_000,
            },
          ]
        : [],
    ),
  );
  return h;
}

type Page = {
  data: { id: string; kind: string; [k: string]: unknown }[];
  hasMore: boolean;
  nextCursor: string | null;
};
const ids = (page: Page) => page.data.map((e) => e.id);

describe("GET /v1/market/prices", () => {
  it("lists the latest price per carrier and region with as-of and source, filtered", async () => {
    const h = await seeded();
    const { key } = await h.tenant();
    const all = (await (await h.call("/v1/market/prices", key)).json()) as {
      data: { carrier: string; region: string | null }[];
    };
    expect(all.data).toEqual([
      {
        carrier: "electricity",
        region: null,
        eurPerKwh: 0.2,
        unit: "EUR/kWh",
        asOf: "2026-11-01T00:00:00.000Z",
        source: "market.events.v1",
        eventId: "p-nat",
        updatedAt: "2026-11-01T00:01:00.000Z",
      },
      expect.objectContaining({ carrier: "electricity", region: "Attica", eurPerKwh: 0.25 }),
      expect.objectContaining({ carrier: "natural_gas", region: "Attica" }),
    ]);
    const attica = (await (await h.call("/v1/market/prices?region=Attica", key)).json()) as {
      data: { carrier: string }[];
    };
    expect(attica.data.map((p) => p.carrier)).toEqual(["electricity", "natural_gas"]);
    const national = (await (
      await h.call("/v1/market/prices?carrier=electricity&region=national", key)
    ).json()) as { data: { eventId: string }[] };
    expect(national.data.map((p) => p.eventId)).toEqual(["p-nat"]);
    expect((await h.call("/v1/market/prices?carrier=coal", key)).status).toBe(400);
  });
});

describe("GET /v1/market/events", () => {
  it("pages through the history newest first without gaps or repeats, also while events arrive", async () => {
    const h = await seeded();
    const { key } = await h.tenant();
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : "";
      const res = await h.call(`/v1/market/events?limit=4${query}`, key);
      expect(res.status).toBe(200);
      const page = (await res.json()) as Page;
      expect(page.hasMore).toBe(page.nextCursor !== null);
      seen.push(...ids(page));
      cursor = page.nextCursor;
      pages += 1;
      // A newer event consumed between pages lands before the cursor: it shifts no page.
      const event = { id: `late-${pages}`, ts: t0 + 9000 + pages, kind: "regulation" as const };
      await h.db.insert(marketEvents).values({
        id: event.id,
        kind: event.kind,
        tsMs: event.ts,
        carrier: null,
        region: null,
        regions: null,
        program: null,
        event: { ...event, title: "late", summary: "arrived during the walk" },
        topic: "market.events.v1",
        partition: 0,
        offset: String(100 + pages),
        receivedAtMs: t0 + 60_000,
      });
    } while (cursor);
    expect(pages).toBe(2);
    expect(seen).toEqual(events.map((e) => e.id).reverse());
    const first = (await (await h.call("/v1/market/events?limit=2", key)).json()) as Page;
    expect(ids(first)).toEqual(["late-2", "late-1"]);
  });

  it("pages through events whose ids are 128 multi-byte or escaped characters", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const longIds = [
      "€".repeat(128),
      "\u0001".repeat(128),
      '"'.repeat(128),
      "\\".repeat(128),
      "😀".repeat(64),
      `Αττική-${"α".repeat(121)}`,
      "plain",
    ];
    await h.db.insert(marketEvents).values(
      longIds.map((id, i) => ({
        id,
        kind: "regulation" as const,
        tsMs: t0 - i * 1000,
        carrier: null,
        region: null,
        regions: null,
        program: null,
        event: { id, ts: t0 - i * 1000, kind: "regulation" as const, title: "t", summary: "s" },
        topic: "market.events.v1",
        partition: 0,
        offset: String(i),
        receivedAtMs: t0,
      })),
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : "";
      const res = await h.call(`/v1/market/events?limit=1${query}`, key);
      expect(res.status, `after ${seen.length} events`).toBe(200);
      const page = (await res.json()) as Page;
      seen.push(...ids(page));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(longIds);
  });

  it("filters by kind, carrier, region and time, and shows instants as RFC 3339", async () => {
    const h = await seeded();
    const { key } = await h.tenant();
    const get = async (query: string) =>
      (await (await h.call(`/v1/market/events?${query}`, key)).json()) as Page;
    expect(ids(await get("kind=subsidy"))).toEqual(["s-all", "s-crete"]);
    expect(ids(await get("carrier=electricity"))).toEqual(["p-att", "p-nat"]);
    expect(ids(await get("region=Attica"))).toEqual(["s-all", "p-gas", "p-att"]);
    expect(ids(await get("region=Crete"))).toEqual(["s-all", "s-crete"]);
    expect(ids(await get("region=national"))).toEqual(["p-nat"]);
    expect(ids(await get(`from=${t0 + 1000}&to=2026-11-01T00:00:03Z`))).toEqual(["p-gas", "p-att"]);
    const [regulation] = (await get("kind=regulation")).data;
    expect(regulation).toEqual({
      id: "r-1",
      kind: "regulation",
      ts: "2026-11-01T00:00:05.000Z",
      title: "KENAK",
      summary: "new U-max",
      effectiveAt: "2026-11-11T00:00:00.000Z",
      receivedAt: "2026-11-01T00:01:00.000Z",
    });
    expect((await get("kind=subsidy&region=Crete")).data[1]).toMatchObject({
      opensAt: "2026-11-02T00:00:00.000Z",
      regions: ["Crete"],
    });
  });

  it("lists a subsidy program for a region exactly when a subsidy alert matches it there", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const programs: Extract<MarketEvent, { kind: "subsidy" }>[] = [
      ["s-lower", ["attica"]],
      ["s-spaced", [" Heraklion\u00a0", "Chania"]],
      ["s-upper", ["ATTICA"]],
      ["s-greek", ["ΚΡΉΤΗ"]],
      ["s-other", ["Larisa"]],
      ["s-all", "all" as const],
      ["s-old", [" Attica  ", "CHANIA"]],
    ].map(([id, regions], i) => ({
      id: id as string,
      ts: t0 + i,
      kind: "subsidy",
      program: id as string,
      regions: regions as string[] | "all",
    }));
    const prices = [
      ["p-attica", "Attica"],
      ["p-lower", "attica"],
    ].map(
      ([id, region]): MarketEvent => ({
        id: id as string,
        ts: t0 + 100,
        kind: "price",
        market: "GR",
        carrier: "electricity",
        region,
        value: 0.3,
        unit: "EUR/kWh",
      }),
    );
    // Rows as the market stage writes them (stream/market/market.store.ts: subsidy regions by their
    // key); s-old as it wrote them before, regions as written.
    await h.db.insert(marketEvents).values(
      [...programs, ...prices].map((event, i) => ({
        id: event.id,
        kind: event.kind,
        tsMs: event.ts,
        carrier: event.kind === "price" ? event.carrier : null,
        region: event.kind === "price" ? (event.region ?? "") : null,
        regions:
          event.kind !== "subsidy" || event.regions === "all"
            ? null
            : event.id === "s-old"
              ? event.regions
              : event.regions.map(regionKey),
        program: event.kind === "subsidy" ? event.program : null,
        event,
        topic: "market.events.v1",
        partition: 0,
        offset: String(i),
        receivedAtMs: t0,
      })),
    );
    for (const region of [
      "Attica",
      "attica",
      " ATTICA ",
      "Heraklion",
      "chania",
      "κρήτη",
      "Κρήτη",
      "Larisa",
      "Epirus",
    ]) {
      const page = (await (
        await h.call(`/v1/market/events?kind=subsidy&region=${encodeURIComponent(region)}`, key)
      ).json()) as Page;
      const alerted = programs
        .filter(
          (p) => matchSubsidy(p, { regions: [region], assessedClasses: [] }, "region", t0).matches,
        )
        .map((p) => p.id)
        .reverse();
      expect(ids(page), region).toEqual(alerted);
    }
    const attica = (await (
      await h.call("/v1/market/events?kind=subsidy&region=Attica", key)
    ).json()) as Page;
    expect(ids(attica)).toEqual(["s-old", "s-all", "s-upper", "s-lower"]);
    // Prices keep their region as written, as assessments and price rules read it.
    const pricePage = (await (
      await h.call("/v1/market/events?kind=price&region=Attica", key)
    ).json()) as Page;
    expect(ids(pricePage)).toEqual(["p-attica"]);
  });

  it("400 for a foreign cursor, an empty range and a limit over 500", async () => {
    const h = await seeded();
    const { key } = await h.tenant();
    for (const query of [
      "cursor=not-a-cursor",
      `cursor=${btoa("[1,2]")}`,
      `from=${t0}&to=${t0}`,
      "limit=501",
      "kind=tariff",
    ]) {
      const res = await h.call(`/v1/market/events?${query}`, key);
      expect(res.status, query).toBe(400);
    }
  });
});

describe("market data: security", () => {
  it("needs a valid key; any tenant's read key sees the same shared rows", async () => {
    const h = await seeded();
    expect((await h.call("/v1/market/prices", undefined)).status).toBe(401);
    expect((await h.call("/v1/market/events", "gp_nope")).status).toBe(401);
    const a = await h.tenant("A");
    const b = await h.tenant("B");
    const reader = (await (
      await h.call("/v1/api-keys", b.key, { method: "POST", json: { name: "r", scopes: ["read"] } })
    ).json()) as { key: string };
    for (const path of ["/v1/market/prices", "/v1/market/events"]) {
      const fromA = await (await h.call(path, a.key)).text();
      const fromB = await (await h.call(path, reader.key)).text();
      expect(fromB).toBe(fromA);
      expect(fromA).not.toContain(a.tenantId);
    }
  });
});
