/**
 * The two-stage topology against the real broker and libSQL: every stored minute and hour equals the
 * exact computation from the produced events (counts, threshold counts, histograms); late events go to
 * the DLQ, counted; SLO burn rates appear in /metrics; two instances sharing the partitions through a
 * rebalance give the same totals.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { RequestEventInput } from "../../core/events/request-event.ts";
import { deadLetterTopic, topicName } from "../../core/events/topics.ts";
import { waitFor } from "../../dev/net.ts";
import { createTopics, readMessagesUntil, testKafka, uniquePrefix } from "../support/kafka.ts";
import { sampleValue, scrape } from "../support/metrics.ts";
import type { ServiceProcess } from "../support/processes.ts";
import { startStreamWorker } from "../support/stream.ts";
import { expectedWindows, storedWindows, syntheticEvents } from "../support/windows.ts";

const kafka = testKafka();
const running: ServiceProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop("SIGKILL")));
});

const thresholdsMs = [100, 250, 500, 1000];
const allowedLatenessMs = 120_000;

async function produce(
  topic: string,
  partitions: RequestEventInput[][],
  from = 0,
  to = Number.POSITIVE_INFINITY,
) {
  const producer = kafka.producer();
  await producer.connect();
  for (const [partition, events] of partitions.entries()) {
    const slice = events.slice(
      from === 0 ? 0 : Math.floor(events.length * from),
      to === Number.POSITIVE_INFINITY ? events.length : Math.floor(events.length * to),
    );
    for (let i = 0; i < slice.length; i += 2000) {
      await producer.send({
        topic,
        messages: slice
          .slice(i, i + 2000)
          .map((e) => ({ partition, key: e.service, value: JSON.stringify(e) })),
      });
    }
  }
  await producer.disconnect();
}

async function waitForStoredTotal(databaseUrl: string, expected: number, timeoutMs = 60_000) {
  let last = 0;
  await waitFor(
    `${expected} events in the window state`,
    async () => {
      last = (await storedWindows(databaseUrl)).total;
      return last === expected;
    },
    { timeoutMs, intervalMs: 250 },
  ).catch((error: Error) => {
    throw new Error(`${error.message} (last ${last})`);
  });
}

describe("two-stage aggregation", () => {
  it("stores exactly the minutes and hours computed from the events, and dead-letters late ones", async () => {
    const prefix = uniquePrefix();
    await createTopics(kafka, prefix, 3);
    const requests = topicName(prefix, "requests");
    const events = syntheticEvents(30_000, {
      startMs: Date.UTC(2026, 10, 22, 10, 58),
      partitions: 3,
      seed: 11,
    });
    const expected = expectedWindows(events, { allowedLatenessMs, thresholdsMs });
    expect(expected.late).toBeGreaterThan(0);
    const { worker, databaseUrl } = await startStreamWorker(prefix);
    running.push(worker);
    await produce(requests, events);
    await waitForStoredTotal(databaseUrl, expected.accepted);
    const stored = await storedWindows(databaseUrl);
    expect(stored.minutes).toEqual(expected.minutes);
    expect(stored.hours).toEqual(expected.hours);

    const text = await scrape(worker.url);
    expect(sampleValue(text, "gridpulse_stream_events_processed_total", { topic: requests })).toBe(
      expected.accepted,
    );
    expect(sampleValue(text, "gridpulse_stream_events_late_total", { topic: requests })).toBe(
      expected.late,
    );
    const late = await readMessagesUntil(
      kafka,
      deadLetterTopic(requests),
      (ms) => ms.length >= expected.late,
      30_000,
    );
    expect(late).toHaveLength(expected.late);
    expect(
      late.every((m) => m.headers?.["gridpulse-dlq-reason"]?.toString() === "late_event"),
    ).toBe(true);
  });

  it("two instances sharing the partitions through a rebalance give the same totals", async () => {
    const prefix = uniquePrefix();
    await createTopics(kafka, prefix, 3);
    const requests = topicName(prefix, "requests");
    const events = syntheticEvents(20_000, {
      startMs: Date.UTC(2026, 10, 22, 11, 0),
      partitions: 3,
      seed: 5,
      services: 6,
    });
    const expected = expectedWindows(events, { allowedLatenessMs, thresholdsMs });
    const a = await startStreamWorker(prefix);
    running.push(a.worker);
    await produce(requests, events, 0, 0.5);
    const b = await startStreamWorker(prefix, { group: a.group, databaseUrl: a.databaseUrl });
    running.push(b.worker);
    await produce(requests, events, 0.5);
    await waitForStoredTotal(a.databaseUrl, expected.accepted);
    const stored = await storedWindows(a.databaseUrl);
    expect(stored.minutes).toEqual(expected.minutes);
    expect(stored.hours).toEqual(expected.hours);
  });
});
