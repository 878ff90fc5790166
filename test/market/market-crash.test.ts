/**
 * Crash consistency of the market stage: price events (with their timestamps shuffled, so many arrive
 * after a newer one) are consumed by a worker that is killed with SIGKILL several times mid-stream and
 * restarted in the same consumer group. Afterwards the history holds every event exactly once, the
 * stored offsets are the partitions' ends, each latest price is the newest event of its carrier and
 * region, and the last worker re-read nothing it had stored (its duplicate count is 0: offsets and
 * effects were committed together, so no kill could separate them).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { count, eq } from "drizzle-orm";
import { afterAll, expect, it } from "vitest";
import { consumerOffsets, marketEvents, marketPrices } from "../../core/db/schema/index.ts";
import { energyCarriers } from "../../core/events/market-event.ts";
import { topicName } from "../../core/events/topics.ts";
import { createRng } from "../../core/random/rng.ts";
import { waitFor } from "../../dev/net.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { eventProducer } from "../../platform/kafka.ts";
import { createTopics, testKafka, uniquePrefix } from "../support/kafka.ts";
import { sampleValue, scrape } from "../support/metrics.ts";
import type { ServiceProcess } from "../support/processes.ts";
import { startStreamWorker } from "../support/stream.ts";

const total = 20_000;
const kills = 4;
const kafka = testKafka();
const processes: ServiceProcess[] = [];
afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop("SIGKILL")));
});

it(`${total.toLocaleString("en")} price events, ${kills} SIGKILLs: each stored once, latest prices exact`, async () => {
  const prefix = uniquePrefix();
  await createTopics(kafka, prefix, 3);
  const topic = topicName(prefix, "market");
  const databaseUrl = `file:${join(mkdtempSync(join(tmpdir(), "gridpulse-market-crash-")), "m.db")}`;
  const rng = createRng(7);
  const regions = ["", "Attica", "Crete", "Thessaloniki", "Achaea"];
  const baseMs = Date.now() - 30 * 86_400_000;
  const events = Array.from({ length: total }, (_, i) => ({
    id: `e-${i}`,
    ts: baseMs + Math.floor(rng() * 86_400_000),
    kind: "price" as const,
    market: "GR" as const,
    carrier: energyCarriers[i % energyCarriers.length] as string,
    ...(regions[i % regions.length] ? { region: regions[i % regions.length] } : {}),
    value: Math.round((0.05 + rng() * 0.4) * 10_000) / 10_000,
    unit: "EUR/kWh" as const,
  }));
  const producer = eventProducer(kafka);
  await producer.connect();
  for (let i = 0; i < total; i += 2000) {
    await producer.send({
      topic,
      messages: events
        .slice(i, i + 2000)
        .map((e) => ({ key: `market:${e.carrier}`, value: JSON.stringify(e) })),
    });
  }
  await producer.disconnect();

  const { db, close } = await openDatabase({ url: databaseUrl });
  const stored = async () => (await db.select({ n: count() }).from(marketEvents).get())?.n ?? 0;
  const group = `market-crash-${prefix}`;
  const start = async () => {
    const { worker } = await startStreamWorker(prefix, {
      group,
      databaseUrl,
      env: { STREAM_STAGES: "market", STREAM_SESSION_TIMEOUT_MS: "1500", LOG_LEVEL: "warn" },
    });
    processes.push(worker);
    return worker;
  };
  const started = performance.now();
  try {
    for (let k = 1; k <= kills; k++) {
      const worker = await start();
      const target = Math.floor((total * k) / (kills + 1));
      await waitFor(`${target} stored events`, async () => (await stored()) >= target, {
        timeoutMs: 60_000,
        intervalMs: 20,
      });
      await worker.stop("SIGKILL");
    }
    const last = await start();
    await waitFor("every event stored", async () => (await stored()) === total, {
      timeoutMs: 60_000,
      intervalMs: 50,
    });
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `market crash test: ${total} events, ${kills} kills, all stored in ${seconds.toFixed(1)} s`,
    );
    await waitFor(
      "the last worker to count what it consumed",
      async () => {
        const text = await scrape(last.url);
        return sampleValue(text, "gridpulse_market_events_total") > 0;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    const text = await scrape(last.url);
    expect(sampleValue(text, "gridpulse_market_events_total", { outcome: "duplicate" })).toBe(0);

    expect(await stored()).toBe(total);
    const offsets = await db
      .select()
      .from(consumerOffsets)
      .where(eq(consumerOffsets.consumerGroup, `${group}-market`));
    const admin = kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    expect(
      offsets.map((o) => [o.partition, o.nextOffset]).sort((a, b) => Number(a[0]) - Number(b[0])),
    ).toEqual(ends.map((e) => [e.partition, e.high]).sort((a, b) => Number(a[0]) - Number(b[0])));

    const newest = new Map<string, (typeof events)[number]>();
    for (const e of events) {
      const key = `${e.carrier}/${e.region ?? ""}`;
      const current = newest.get(key);
      if (!current || e.ts > current.ts || (e.ts === current.ts && e.id > current.id))
        newest.set(key, e);
    }
    const prices = await db.select().from(marketPrices);
    expect(prices).toHaveLength(newest.size);
    for (const p of prices) {
      const e = newest.get(`${p.carrier}/${p.region}`);
      expect({ eventId: p.eventId, eurPerKwh: p.eurPerKwh, asOfMs: p.asOfMs }).toEqual({
        eventId: e?.id,
        eurPerKwh: e?.value,
        asOfMs: e?.ts,
      });
    }
  } finally {
    close();
  }
});
