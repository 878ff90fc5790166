/**
 * Market events end to end against the real broker: kcat (an external client) publishes prices, a
 * subsidy program, a regulation and garbage to market.events.v1; the stream worker (default stages)
 * keeps the history and the latest prices in libSQL, dead-letters the garbage with reason headers
 * and counts it; an older price arriving later joins the history without replacing the latest; the
 * API serves both and prices the next assessment with the consumed price; and a second worker that
 * replays the whole topic into the same database (a new consumer group) writes nothing twice.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { deadLetterHeaders, deadLetterTopic, topicName } from "../../core/events/topics.ts";
import { createTenantWithAdminKey } from "../../core/tenants/tenants.service.ts";
import { freePort, waitFor } from "../../dev/net.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { brokers, createTopics, readMessages, testKafka, uniquePrefix } from "../support/kafka.ts";
import { sampleValue, scrape } from "../support/metrics.ts";
import { type ServiceProcess, startService } from "../support/processes.ts";
import { startStreamWorker } from "../support/stream.ts";

const kafka = testKafka();
const running: ServiceProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop("SIGKILL")));
});

const home = {
  location: { prefecture: "Attica" },
  buildingType: "apartment",
  constructionYear: 1985,
  heatedFloorAreaM2: 90,
  storeys: 1,
  systems: { heating: { type: "heat_pump_air_water" } },
};

/** One `key<TAB>value` line per message, as kcat -K<TAB> reads them (keys hold colons). */
function kcat(topic: string, lines: string[]) {
  execFileSync("kcat", ["-P", "-b", brokers().join(","), "-t", topic, "-K\t"], {
    input: `${lines.join("\n")}\n`,
    timeout: 30_000,
  });
}

const hourMs = 3_600_000;

function price(id: string, tsMs: number, value: number, region?: string) {
  return `market:electricity\t${JSON.stringify({
    id,
    ts: new Date(tsMs).toISOString(),
    kind: "price",
    market: "GR",
    carrier: "electricity",
    ...(region ? { region } : {}),
    value,
    unit: "EUR/kWh",
  })}`;
}

interface Assessment {
  assessment: {
    cost: {
      annualEur: number;
      prices: Record<string, { eurPerKwh: number; isDefault: boolean; source: string }>;
    };
  };
}

describe("market events: market.events.v1 -> libSQL -> API", () => {
  it("keeps history and latest prices, dead-letters garbage, resists reordering and replays", async () => {
    const prefix = uniquePrefix();
    await createTopics(kafka, prefix);
    const topic = topicName(prefix, "market");
    const { worker, databaseUrl } = await startStreamWorker(prefix);
    running.push(worker);
    const api = await startService("api/node.ts", {
      DATABASE_URL: databaseUrl,
      DATABASE_MIGRATE_ON_START: "false",
      API_METRICS_PORT: String(await freePort()),
      RATE_LIMIT_PER_S: "1000",
      RATE_LIMIT_BURST: "1000",
      LOG_LEVEL: "warn",
    });
    running.push(api);
    const database = await openDatabase({ url: databaseUrl });
    const { apiKey } = await createTenantWithAdminKey(database.db, {
      name: "market test",
      nowMs: Date.now(),
    });
    database.close();
    const get = async <T>(path: string): Promise<T> => {
      const res = await fetch(`${api.url}${path}`, {
        headers: { Authorization: `Bearer ${apiKey.key}` },
      });
      expect(res.status, path).toBe(200);
      return (await res.json()) as T;
    };
    const assess = async () => {
      const res = await fetch(`${api.url}/v1/assessments`, {
        method: "POST",
        headers: { Authorization: `Bearer ${apiKey.key}`, "Content-Type": "application/json" },
        body: JSON.stringify(home),
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as Assessment).assessment.cost;
    };

    const before = await assess();
    expect(before.prices.electricity?.isDefault).toBe(true);

    const now = Date.now();
    const run = randomUUID().slice(0, 8);
    const id = (name: string) => `${run}-${name}`;
    const bad = {
      json: "market:electricity\t{not json",
      schema: `market:electricity\t${JSON.stringify({ id: id("bad"), ts: now, kind: "price" })}`,
      unit: price(id("mwh"), now, 210, "Attica").replace('"EUR/kWh"', '"EUR/MWh"'),
    };
    kcat(topic, [
      price(id("attica"), now - hourMs, 0.4, "Attica"),
      price(id("national"), now - hourMs, 0.3),
      bad.json,
      `${id("program")}\t${JSON.stringify({
        id: id("subsidy"),
        ts: now - hourMs,
        kind: "subsidy",
        program: id("program"),
        regions: ["Attica"],
        maxSubsidyPct: 75,
      })}`,
      bad.schema,
      `regulation\t${JSON.stringify({
        id: id("regulation"),
        ts: now - hourMs,
        kind: "regulation",
        title: "KENAK revision",
        summary: "new U-max values",
      })}`,
      bad.unit,
      // The same event id again with other content: a replay, never a second write.
      price(id("attica"), now - hourMs, 0.99, "Attica"),
    ]);

    type Prices = { data: { region: string | null; eurPerKwh: number; eventId: string }[] };
    let prices: Prices = { data: [] };
    await waitFor(
      "the consumed prices to be served",
      async () => {
        prices = await get<Prices>("/v1/market/prices?carrier=electricity");
        return prices.data.length === 2;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n--- worker ---\n${worker.output().slice(-4000)}`);
    });
    expect(prices.data).toEqual([
      expect.objectContaining({ region: null, eurPerKwh: 0.3, eventId: id("national") }),
      expect.objectContaining({ region: "Attica", eurPerKwh: 0.4, eventId: id("attica") }),
    ]);

    // Dead letters: original bytes, reason and source headers; counted by reason.
    const letters = await readMessages(kafka, deadLetterTopic(topic), 3);
    const byValue = new Map(letters.map((m) => [m.value?.toString(), m]));
    const header = (line: string, name: string) =>
      byValue.get(line.slice(line.indexOf("\t") + 1))?.headers?.[name]?.toString();
    expect(header(bad.json, deadLetterHeaders.reason)).toBe("invalid_json");
    expect(header(bad.schema, deadLetterHeaders.reason)).toBe("schema_violation");
    expect(header(bad.unit, deadLetterHeaders.reason)).toBe("schema_violation");
    expect(header(bad.unit, deadLetterHeaders.error)).toContain("unit");
    expect(header(bad.json, deadLetterHeaders.sourceTopic)).toBe(topic);
    for (const letter of letters) expect(letter.key?.toString()).toBe("market:electricity");
    await waitFor(
      "the market metrics",
      async () => {
        const text = await scrape(worker.url);
        return (
          sampleValue(text, "gridpulse_market_events_total", { outcome: "duplicate" }) === 1 &&
          sampleValue(text, "gridpulse_stream_events_invalid_total", { topic }) === 3
        );
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    const text = await scrape(worker.url);
    expect(sampleValue(text, "gridpulse_market_events_total", { outcome: "applied" })).toBe(4);
    expect(
      sampleValue(text, "gridpulse_stream_events_invalid_total", {
        topic,
        reason: "schema_violation",
      }),
    ).toBe(2);
    expect(sampleValue(text, "gridpulse_stream_consumer_joined")).toBe(3);

    // An older price arriving late joins the history and leaves the latest price alone.
    kcat(topic, [price(id("older"), now - 2 * hourMs, 0.1, "Attica")]);
    type Page = { data: { id: string; kind: string }[]; nextCursor: string | null };
    await waitFor(
      "the older price in the history",
      async () =>
        (await get<Page>("/v1/market/events?carrier=electricity&region=Attica")).data.some(
          (e) => e.id === id("older"),
        ),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const attica = await get<Prices>("/v1/market/prices?carrier=electricity&region=Attica");
    expect(attica.data).toEqual([
      expect.objectContaining({ eurPerKwh: 0.4, eventId: id("attica") }),
    ]);
    const history = await get<Page>("/v1/market/events?limit=500");
    expect(history.data.map((e) => e.id).sort()).toEqual(
      ["attica", "national", "subsidy", "regulation", "older"].map(id).sort(),
    );
    expect((await get<Page>("/v1/market/events?kind=subsidy&region=Attica")).data).toEqual([
      expect.objectContaining({ id: id("subsidy"), maxSubsidyPct: 75 }),
    ]);

    // The next assessment prices electricity with the consumed regional price.
    const after = await assess();
    expect(after.prices.electricity).toMatchObject({ eurPerKwh: 0.4, isDefault: false });
    expect(after.prices.electricity?.source).toContain(id("attica"));
    expect(after.annualEur).toBeGreaterThan(before.annualEur);

    // Replay: a worker in a new consumer group reads the whole topic again into the same database.
    await worker.stop("SIGKILL");
    const replay = await startStreamWorker(prefix, {
      databaseUrl,
      env: { STREAM_STAGES: "market" },
    });
    running.push(replay.worker);
    await waitFor(
      "the replay to see every valid event as a duplicate",
      async () =>
        sampleValue(await scrape(replay.worker.url), "gridpulse_market_events_total", {
          outcome: "duplicate",
        }) === 6,
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const replayed = await scrape(replay.worker.url);
    expect(sampleValue(replayed, "gridpulse_market_events_total", { outcome: "applied" })).toBe(0);
    expect((await get<Page>("/v1/market/events?limit=500")).data).toHaveLength(5);
    expect(
      (await get<Prices>("/v1/market/prices?carrier=electricity&region=Attica")).data[0],
    ).toMatchObject({ eurPerKwh: 0.4, eventId: id("attica") });
  });
});
