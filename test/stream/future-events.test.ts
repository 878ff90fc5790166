/**
 * Future-dated RequestEvents against the real broker and stream worker: an event dated a year ahead is
 * dead-lettered as `future_timestamp` and counted, and neither it, an event within the allowed skew,
 * nor a watermark stored ahead of the clock by an earlier run makes the current events after it late.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { RequestEventInput } from "../../core/events/request-event.ts";
import { deadLetterTopic, topicName } from "../../core/events/topics.ts";
import { waitFor } from "../../dev/net.ts";
import { eventProducer } from "../../platform/kafka.ts";
import {
  countMessagesExactly,
  createTopics,
  readMessagesUntil,
  testKafka,
  uniquePrefix,
} from "../support/kafka.ts";
import { sampleValue, scrape } from "../support/metrics.ts";
import type { ServiceProcess } from "../support/processes.ts";
import { startStreamWorker } from "../support/stream.ts";
import { storedWindows } from "../support/windows.ts";

const kafka = testKafka();
const running: ServiceProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop("SIGKILL")));
});

const yearMs = 365 * 86_400_000;
const current = 600;

const event = (id: string, ts: number): RequestEventInput => ({
  id,
  ts,
  service: "clock-svc",
  route: "/v1/clock",
  method: "GET",
  status: 200,
  durationMs: 7,
});

/** Sends the events to partition 0 in order, a few per request so they span several batches. */
async function produce(topic: string, events: RequestEventInput[]) {
  const producer = eventProducer(kafka);
  await producer.connect();
  for (let i = 0; i < events.length; i += 100) {
    await producer.send({
      topic,
      messages: events
        .slice(i, i + 100)
        .map((e) => ({ partition: 0, key: e.service, value: JSON.stringify(e) })),
    });
  }
  await producer.disconnect();
}

async function waitForStoredTotal(databaseUrl: string, expected: number) {
  let last = 0;
  await waitFor(
    `${expected} events in the window state`,
    async () => {
      last = (await storedWindows(databaseUrl)).total;
      return last >= expected;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  ).catch((error: Error) => {
    throw new Error(`${error.message} (last ${last})`);
  });
  // Nothing more arrives afterwards.
  await new Promise((r) => setTimeout(r, 1000));
  expect((await storedWindows(databaseUrl)).total).toBe(expected);
}

describe("future-dated request events", () => {
  it("are dead-lettered as future_timestamp beyond the skew; current events after them are not late", async () => {
    const prefix = uniquePrefix();
    await createTopics(kafka, prefix, 1);
    const requests = topicName(prefix, "requests");
    const { worker, databaseUrl } = await startStreamWorker(prefix, {
      env: { STREAM_MAX_FUTURE_SKEW_MS: "300000", STREAM_ALLOWED_LATENESS_MS: "120000" },
    });
    running.push(worker);
    const now = Date.now();
    // A year ahead (refused), then four minutes ahead (within the skew: counted), then current events
    // spread over the last minute.
    const events = [
      event("future", now + yearMs),
      event("soon", now + 240_000),
      ...Array.from({ length: current }, (_, i) => event(`c${i}`, now - 60_000 + i * 100)),
    ];
    await produce(requests, events);

    await waitForStoredTotal(databaseUrl, current + 1);
    const stored = await storedWindows(databaseUrl);
    const minuteOf = (ts: number) => ts - (ts % 60_000);
    const expectedMinutes = new Map<number, number>();
    for (const e of events.slice(1)) {
      const m = minuteOf(e.ts as number);
      expectedMinutes.set(m, (expectedMinutes.get(m) ?? 0) + 1);
    }
    for (const [minute, total] of expectedMinutes)
      expect(stored.minutes.get(`clock-svc|/v1/clock|${minute}`)?.total).toBe(total);
    expect(stored.minutes.size).toBe(expectedMinutes.size);

    const letters = await readMessagesUntil(
      kafka,
      deadLetterTopic(requests),
      (ms) => ms.length >= 1,
    );
    expect(letters.map((m) => m.headers?.["gridpulse-dlq-reason"]?.toString())).toEqual([
      "future_timestamp",
    ]);
    expect(JSON.parse(letters[0]?.value?.toString() ?? "{}")).toMatchObject({ id: "future" });
    expect(await countMessagesExactly(kafka, deadLetterTopic(requests), 1, 1500)).toBe(1);

    const text = await scrape(worker.url);
    expect(
      sampleValue(text, "gridpulse_stream_events_invalid_total", {
        topic: requests,
        reason: "future_timestamp",
      }),
    ).toBe(1);
    expect(sampleValue(text, "gridpulse_stream_events_late_total", { topic: requests })).toBe(0);
    expect(sampleValue(text, "gridpulse_stream_events_processed_total", { topic: requests })).toBe(
      current + 1,
    );
  });

  it("a watermark stored a year ahead by an earlier run is brought back to the clock on restore", async () => {
    const prefix = uniquePrefix();
    await createTopics(kafka, prefix, 1);
    const requests = topicName(prefix, "requests");
    const group = `stream-future-${prefix}`;
    // What an earlier version left after accepting an event dated a year ahead: the committed offset of
    // the partition with that event time as its watermark.
    const producer = kafka.producer({
      transactionalId: `seed-${prefix}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const tx = await producer.transaction();
    await tx.sendOffsets({
      consumerGroupId: `${group}-aggregate`,
      topics: [
        {
          topic: requests,
          partitions: [
            {
              partition: 0,
              offset: "0",
              metadata: JSON.stringify({ maxTsMs: Date.now() + yearMs }),
            },
          ],
        },
      ],
    } as unknown as Parameters<typeof tx.sendOffsets>[0]);
    await tx.commit();
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({
      groupId: `${group}-aggregate`,
      topics: [requests],
    });
    await admin.disconnect();
    expect(committed?.partitions[0]?.metadata).toContain("maxTsMs");

    const { worker, databaseUrl } = await startStreamWorker(prefix, { group });
    running.push(worker);
    const now = Date.now();
    await produce(
      requests,
      Array.from({ length: current }, (_, i) => event(`r${i}`, now - 60_000 + i * 100)),
    );
    await waitForStoredTotal(databaseUrl, current);
    const text = await scrape(worker.url);
    expect(sampleValue(text, "gridpulse_stream_events_late_total", { topic: requests })).toBe(0);
    expect(worker.output()).toContain("stored watermark is ahead of the clock");
  });
});
