/**
 * The two-stage topology against the real broker and libSQL: every stored minute and hour equals the
 * exact computation from the produced events (counts, threshold counts, histograms); late events go to
 * the DLQ, counted; SLO burn rates appear in /metrics; two instances sharing the partitions through a
 * rebalance give the same totals.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { RequestEventInput } from "../../core/events/request-event.ts";
import { deadLetterTopic, topicName } from "../../core/events/topics.ts";
import { createTenantWithAdminKey } from "../../core/tenants/tenants.service.ts";
import { freePort, waitFor } from "../../dev/net.ts";
import { openDatabase } from "../../platform/db/open.ts";
import {
  createTopics,
  produceEvents,
  readMessagesUntil,
  testKafka,
  uniquePrefix,
} from "../support/kafka.ts";
import { sampleValue, scrape } from "../support/metrics.ts";
import { type ServiceProcess, startService } from "../support/processes.ts";
import { startStreamWorker } from "../support/stream.ts";
import { storedWindows, syntheticTraffic } from "../support/windows.ts";

const kafka = testKafka();
const running: ServiceProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop("SIGKILL")));
});

const thresholdsMs = [100, 250, 500, 1000];
const allowedLatenessMs = 120_000;

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
    const { prefix, requests, events, expected } = await syntheticTraffic(kafka, {
      count: 30_000,
      startMs: Date.UTC(2026, 10, 22, 10, 58),
      partitions: 3,
      seed: 11,
      allowedLatenessMs,
      thresholdsMs,
    });
    expect(expected.late).toBeGreaterThan(0);
    const { worker, databaseUrl } = await startStreamWorker(prefix);
    running.push(worker);
    await produceEvents(kafka, requests, events);
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
    const { prefix, requests, events, expected } = await syntheticTraffic(kafka, {
      count: 20_000,
      startMs: Date.UTC(2026, 10, 22, 11, 0),
      partitions: 3,
      seed: 5,
      services: 6,
      allowedLatenessMs,
      thresholdsMs,
    });
    const a = await startStreamWorker(prefix);
    running.push(a.worker);
    await produceEvents(kafka, requests, events, 0, 0.5);
    const b = await startStreamWorker(prefix, { group: a.group, databaseUrl: a.databaseUrl });
    running.push(b.worker);
    await produceEvents(kafka, requests, events, 0.5);
    await waitForStoredTotal(a.databaseUrl, expected.accepted);
    const stored = await storedWindows(a.databaseUrl);
    expect(stored.minutes).toEqual(expected.minutes);
    expect(stored.hours).toEqual(expected.hours);
  });
});

describe("SLO burn rates end to end", () => {
  it("appear in /metrics and /v1/slos/:id/status from the same stored counts", async () => {
    const prefix = uniquePrefix();
    await createTopics(kafka, prefix, 3);
    const requests = topicName(prefix, "requests");
    const { worker, databaseUrl } = await startStreamWorker(prefix, {
      env: { STREAM_EVAL_INTERVAL_MS: "200" },
    });
    running.push(worker);
    const { db, close } = await openDatabase({ url: databaseUrl });
    const { tenantId, apiKey } = await createTenantWithAdminKey(db, {
      name: "ops",
      nowMs: Date.now(),
    });
    close();
    const api = await startService("api/node.ts", {
      DATABASE_URL: databaseUrl,
      API_METRICS_PORT: String(await freePort()),
      KAFKA_BROKERS: "",
    });
    running.push(api);
    const created = await fetch(`${api.url}/v1/slos`, {
      method: "POST",
      headers: { Authorization: `Bearer ${apiKey.key}`, "Content-Type": "application/json" },
      body: JSON.stringify({
        name: "slo-svc availability",
        service: "slo-svc",
        sli: { kind: "availability" },
        objective: 0.99,
        window: { kind: "rolling", days: 30 },
      }),
    });
    const slo = (await created.json()) as { id: string };
    expect(tenantId).toMatch(/^ten_/);

    // 1,000 requests, 50 of them failing: error ratio 5% against a 1% budget = burn rate 5.
    const nowMs = Date.now();
    const events: RequestEventInput[] = Array.from({ length: 1000 }, (_, i) => ({
      id: `slo-${i}`,
      ts: nowMs - 1000 + i,
      service: "slo-svc",
      route: "/v1/thing",
      method: "GET",
      status: i % 20 === 0 ? 503 : 200,
      durationMs: 12,
    }));
    await produceEvents(kafka, requests, [events]);

    let burn = Number.NaN;
    await waitFor(
      "the burn rate gauge",
      async () => {
        burn = sampleValue(await scrape(worker.url), "gridpulse_slo_burn_rate", {
          slo_id: slo.id,
          window: "5m",
        });
        return Math.abs(burn - 5) < 1e-9;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    ).catch((e: Error) => {
      throw new Error(`${e.message} (last ${burn})`);
    });
    const text = await scrape(worker.url);
    expect(
      sampleValue(text, "gridpulse_slo_burn_rate", { slo_id: slo.id, window: "1h" }),
    ).toBeCloseTo(5, 9);
    expect(
      sampleValue(text, "gridpulse_slo_error_budget_remaining", { slo_id: slo.id }),
    ).toBeCloseTo(1 - 50 / 10, 9);
    expect(sampleValue(text, "gridpulse_slo_tier_firing", { slo_id: slo.id, tier: "ticket" })).toBe(
      1,
    );
    expect(
      sampleValue(text, "gridpulse_slo_tier_firing", { slo_id: slo.id, tier: "page-fast" }),
    ).toBe(0);

    const status = (await (
      await fetch(`${api.url}/v1/slos/${slo.id}/status`, {
        headers: { Authorization: `Bearer ${apiKey.key}` },
      })
    ).json()) as {
      tiers: { name: string; longWindow: { burnRate: number; total: number } }[];
      budget: { total: number; bad: number };
    };
    expect(status.tiers.find((t) => t.name === "page-fast")?.longWindow).toMatchObject({
      total: 1000,
    });
    expect(status.tiers.find((t) => t.name === "page-fast")?.longWindow.burnRate).toBeCloseTo(5, 9);
    expect(status.budget).toMatchObject({ total: 1000, bad: 50 });
  });
});
