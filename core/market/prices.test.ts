import { createClient } from "@libsql/client";
import { describe, expect, it } from "vitest";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { createDatabase } from "../db/database.ts";
import { attachRemoteDatabase, RemoteDatabase } from "../db/remote-database.ts";
import { marketPrices } from "../db/schema/index.ts";
import { latestPrices } from "./prices.ts";

const row = (region: string, eurPerKwh: number, eventId: string) => ({
  carrier: "electricity",
  region,
  eurPerKwh,
  asOfMs: Date.UTC(2026, 0, 1),
  source: "feed",
  eventId,
  updatedAtMs: Date.UTC(2026, 0, 1),
});

/** One database; `remote(ttl)` is a handle on it as a libSQL server client with that cache TTL. */
async function setup() {
  const client = createClient({ url: ":memory:" });
  const embedded = createDatabase(client);
  await applyMigrations(embedded);
  await embedded.insert(marketPrices).values([row("", 0.2, "n1"), row("Attica", 0.25, "a1")]);
  // Another handle on the same client, so that attaching to it leaves `embedded` as it is.
  const view = () => {
    const own: Record<PropertyKey, unknown> = {};
    return new Proxy(client, {
      defineProperty: (_, prop, descriptor) => Reflect.defineProperty(own, prop, descriptor),
      get(target, prop) {
        if (prop in own) return own[prop];
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  };
  const remote = (readCacheTtlMs: number) =>
    createDatabase(attachRemoteDatabase(view(), new RemoteDatabase({ readCacheTtlMs })));
  const reprice = (eurPerKwh: number) =>
    embedded.update(marketPrices).set({ eurPerKwh, eventId: "a2" });
  return { embedded, remote, reprice, close: () => client.close() };
}

describe("latest prices", () => {
  it("regional first, else national", async () => {
    const { embedded, close } = await setup();
    expect((await latestPrices(embedded, "Attica")).electricity?.eurPerKwh).toBe(0.25);
    expect((await latestPrices(embedded, "Crete")).electricity?.eurPerKwh).toBe(0.2);
    expect((await latestPrices(embedded)).electricity?.source).toContain("national");
    close();
  });

  it("a server client reuses a region's prices for the TTL; an embedded file reads every time", async () => {
    const { embedded, remote, reprice, close } = await setup();
    const cached = remote(60_000);
    const first = await latestPrices(cached, "Attica");
    expect(first.electricity?.eurPerKwh).toBe(0.25);
    // A caller changing its copy changes nobody else's.
    (first.electricity as { eurPerKwh: number }).eurPerKwh = 9;
    await reprice(0.4);
    expect((await latestPrices(cached, "Attica")).electricity?.eurPerKwh).toBe(0.25);
    // Another region is its own entry.
    expect((await latestPrices(cached, "Crete")).electricity?.eurPerKwh).toBe(0.4);
    expect((await latestPrices(embedded, "Attica")).electricity?.eurPerKwh).toBe(0.4);
    // TTL 0: no cache.
    const uncached = remote(0);
    expect((await latestPrices(uncached, "Attica")).electricity?.eurPerKwh).toBe(0.4);
    await reprice(0.5);
    expect((await latestPrices(uncached, "Attica")).electricity?.eurPerKwh).toBe(0.5);
    close();
  });

  it("a server client reads again once the TTL has passed", async () => {
    const { remote, reprice, close } = await setup();
    const cached = remote(30);
    expect((await latestPrices(cached, "Attica")).electricity?.eurPerKwh).toBe(0.25);
    await reprice(0.4);
    await new Promise((r) => setTimeout(r, 40));
    expect((await latestPrices(cached, "Attica")).electricity?.eurPerKwh).toBe(0.4);
    close();
  });
});
