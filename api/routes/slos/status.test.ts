import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { Database } from "../../../core/db/database.ts";
import { requestHours, requestMinutes } from "../../../core/db/schema/index.ts";
import { encodeHistogram, newLatencyHistogram } from "../../../core/latency/histogram.ts";
import { createHarness } from "../../testing/harness.ts";

interface Status {
  state: string;
  tiers: {
    name: string;
    factor: number;
    state: string;
    longWindow: { burnRate: number | null };
    shortWindow: { burnRate: number | null };
  }[];
  budget: {
    windowStart: string;
    total: number;
    bad: number;
    allowedBad: number | null;
    remaining: number | null;
  };
}

/** Stores `total` events (`bad` of them failed) in one minute bucket and its hour, as stage 2 would. */
async function seed(db: Database, atMs: number, total: number, bad: number) {
  const row = {
    service: "edge-api",
    route: "/v1/x",
    total,
    good: total - bad,
    goodWithin: {},
    histogram: encodeHistogram(newLatencyHistogram()),
    updatedAtMs: atMs,
  };
  await db.insert(requestMinutes).values({ ...row, bucketStartMs: atMs - (atMs % 60_000) });
  await db
    .insert(requestHours)
    .values({ ...row, bucketStartMs: atMs - (atMs % 3_600_000) })
    .onConflictDoUpdate({
      target: [requestHours.service, requestHours.route, requestHours.bucketStartMs],
      set: { total: sql`total + excluded.total`, good: sql`good + excluded.good` },
    });
}

async function statusOf(
  window: Record<string, unknown>,
  objective: number,
  events: [number, number, number][],
) {
  const h = await createHarness();
  const { key } = await h.tenant();
  const created = await h.call("/v1/slos", key, {
    method: "POST",
    json: { name: "edge", service: "edge-api", sli: { kind: "availability" }, objective, window },
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  for (const [at, total, bad] of events) await seed(h.db, at, total, bad);
  const res = await h.call(`/v1/slos/${id}/status`, key);
  expect(res.status).toBe(200);
  return { now: h.clock.nowMs, status: (await res.json()) as Status };
}

describe("GET /v1/slos/{id}/status: exact figures", () => {
  it("answers an exactly spent budget with remaining 0 and burn rate 1", async () => {
    const now = Date.UTC(2026, 10, 22, 12); // the harness's clock
    const { status } = await statusOf({ kind: "rolling", days: 7 }, 0.999, [
      [now - 20_000, 1000, 1],
    ]);
    expect(status.budget).toMatchObject({ total: 1000, bad: 1, allowedBad: 1, remaining: 0 });
    for (const tier of status.tiers) {
      expect(tier.longWindow.burnRate).toBe(1);
      expect(tier.shortWindow.burnRate).toBe(1);
    }
  });

  it("does not fire a tier whose burn rate is exactly its factor (28 days, 14 bad of 15,000)", async () => {
    const now = Date.UTC(2026, 10, 22, 12);
    const { status } = await statusOf({ kind: "rolling", days: 28 }, 0.999, [
      [now - 20_000, 15_000, 14],
    ]);
    const ticket = status.tiers.find((t) => t.name === "ticket");
    expect(ticket?.factor).toBe(0.933333); // 14/15, reported rounded to 6 decimals
    expect(ticket?.longWindow.burnRate).toBe(14 / 15);
    expect(ticket?.state).toBe("ok");
    expect(status.state).toBe("ok");
  });

  it("counts an Asia/Kolkata month from 00:00 IST, not from the UTC hour before it", async () => {
    // November 2026 starts at 18:30 UTC on 31 October in Kolkata; 50 errors at 23:40 IST on 31 October.
    const { status } = await statusOf(
      { kind: "calendar", unit: "month", timeZone: "Asia/Kolkata" },
      0.999,
      [
        [Date.UTC(2026, 9, 31, 18, 10), 50, 50],
        [Date.UTC(2026, 9, 31, 18, 40), 10, 0],
        [Date.UTC(2026, 10, 5, 12), 990, 1],
      ],
    );
    expect(status.budget.windowStart).toBe("2026-10-31T18:30:00.000Z");
    expect(status.budget).toMatchObject({ total: 1000, bad: 1, allowedBad: 1, remaining: 0 });
  });
});
