import { describe, expect, it } from "vitest";
import type { Database } from "../../../core/db/database.ts";
import { requestHours, requestMinutes } from "../../../core/db/schema/index.ts";
import {
  encodeHistogram,
  newLatencyHistogram,
  recordDurationMs,
} from "../../../core/latency/histogram.ts";
import { createHarness } from "../../testing/harness.ts";

type Slo = { id: string; tiers: { name: string }[]; minEvents: number; objective: number };

const availability = {
  name: "Edge availability",
  service: "edge-api",
  sli: { kind: "availability" },
  objective: 0.99,
  window: { kind: "rolling", days: 30 },
};

/** Stores minute and hour buckets as stage 2 would: `perMinute` events with the given durations. */
async function seedMinutes(
  db: Database,
  startMs: number,
  minutes: number,
  bucket: { total: number; good: number; durationsMs: number[] },
) {
  const hours = new Map<
    number,
    { total: number; good: number; h: ReturnType<typeof newLatencyHistogram> }
  >();
  for (let m = 0; m < minutes; m++) {
    const bucketStartMs = startMs + m * 60_000;
    const h = newLatencyHistogram();
    for (const d of bucket.durationsMs) recordDurationMs(h, d);
    const row = {
      service: "edge-api",
      route: "/v1/x",
      bucketStartMs,
      total: bucket.total,
      good: bucket.good,
      goodWithin: { "250": bucket.total - 1 },
      histogram: encodeHistogram(h),
      updatedAtMs: 0,
    };
    await db.insert(requestMinutes).values(row);
    const hourStart = bucketStartMs - (bucketStartMs % 3_600_000);
    const acc = hours.get(hourStart) ?? { total: 0, good: 0, h: newLatencyHistogram() };
    acc.total += bucket.total;
    acc.good += bucket.good;
    acc.h.add(h);
    hours.set(hourStart, acc);
  }
  for (const [bucketStartMs, acc] of hours) {
    await db.insert(requestHours).values({
      service: "edge-api",
      route: "/v1/x",
      bucketStartMs,
      total: acc.total,
      good: acc.good,
      goodWithin: {},
      histogram: encodeHistogram(acc.h),
      updatedAtMs: 0,
    });
  }
}

describe("SLOs: happy path", () => {
  it("creates with default tiers, lists, gets, replaces and deletes", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const created = await h.call("/v1/slos", key, { method: "POST", json: availability });
    expect(created.status).toBe(201);
    const slo = (await created.json()) as Slo;
    expect(slo.id).toMatch(/^slo_/);
    expect(slo.tiers.map((t) => t.name)).toEqual(["page-fast", "page-slow", "ticket"]);
    expect(slo.minEvents).toBe(20);
    const list = (await (await h.call("/v1/slos", key)).json()) as { data: Slo[] };
    expect(list.data.map((s) => s.id)).toEqual([slo.id]);
    const replaced = await h.call(`/v1/slos/${slo.id}`, key, {
      method: "PUT",
      json: { ...availability, objective: 0.995 },
    });
    expect(((await replaced.json()) as Slo).objective).toBe(0.995);
    expect(((await (await h.call(`/v1/slos/${slo.id}`, key)).json()) as Slo).objective).toBe(0.995);
    expect((await h.call(`/v1/slos/${slo.id}`, key, { method: "DELETE" })).status).toBe(204);
    expect((await h.call(`/v1/slos/${slo.id}`, key)).status).toBe(404);
  });

  it("computes status from the stored buckets: burn rate and budget from exact counts", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const slo = (await (
      await h.call("/v1/slos", key, { method: "POST", json: availability })
    ).json()) as Slo;
    // Two hours of 100 events a minute with 2 failures: error ratio 2% at objective 99% = burn rate 2.
    const nowMs = h.clock.nowMs;
    await seedMinutes(h.db, nowMs - (nowMs % 60_000) - 119 * 60_000, 120, {
      total: 100,
      good: 98,
      durationsMs: [5, 10, 400],
    });
    const res = await h.call(`/v1/slos/${slo.id}/status`, key);
    expect(res.status).toBe(200);
    const status = (await res.json()) as {
      state: string;
      tiers: {
        name: string;
        state: string;
        longWindow: { burnRate: number; total: number };
        shortWindow: { burnRate: number };
      }[];
      budget: { remaining: number; total: number; bad: number };
    };
    const fast = status.tiers.find((t) => t.name === "page-fast");
    expect(fast?.longWindow.burnRate).toBeCloseTo(2, 9);
    expect(fast?.longWindow.total).toBe(6000);
    expect(fast?.state).toBe("ok");
    expect(status.tiers.find((t) => t.name === "ticket")?.state).toBe("firing"); // 2 ≥ factor 1 on 3d/6h
    expect(status.state).toBe("warning");
    expect(status.budget.total).toBe(12_000);
    expect(status.budget.bad).toBe(240);
    expect(status.budget.remaining).toBeCloseTo(1 - 240 / 120, 9);
  });

  it("imports OpenSLO (dry run and stored)", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const yaml = [
      "apiVersion: openslo/v1",
      "kind: SLO",
      "metadata: { name: edge-latency }",
      "spec:",
      "  service: edge-api",
      "  indicator:",
      "    metadata: { name: lat }",
      "    spec:",
      "      thresholdMetric:",
      "        metricSource: { type: gridpulse, spec: { field: durationMs } }",
      "  timeWindow: [{ duration: 30d, isRolling: true }]",
      "  budgetingMethod: Occurrences",
      "  objectives: [{ target: 0.99, op: lte, value: 250 }]",
    ].join("\n");
    const dry = await h.call("/v1/slos/import", key, {
      method: "POST",
      json: { yaml, dryRun: true },
    });
    expect(dry.status).toBe(200);
    expect(((await dry.json()) as { definition: { sli: unknown } }).definition.sli).toEqual({
      kind: "latency",
      thresholdMs: 250,
    });
    expect(
      ((await (await h.call("/v1/slos", key)).json()) as { data: unknown[] }).data,
    ).toHaveLength(0);
    const stored = await h.call("/v1/slos/import", key, { method: "POST", json: { yaml } });
    expect(stored.status).toBe(201);
    expect(((await stored.json()) as { slo: { id: string } }).slo.id).toMatch(/^slo_/);
    const bad = await h.call("/v1/slos/import", key, {
      method: "POST",
      json: { yaml: yaml.replace("Occurrences", "Timeslices") },
    });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { details: { path: string; message: string }[] } };
    expect(body.error.details[0]).toMatchObject({ path: "body.yaml" });
    expect(body.error.details[0]?.message).toContain("Timeslices is not supported");
  });

  it("answers latency quantiles over a range by merging stored histograms", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const nowMs = h.clock.nowMs;
    await seedMinutes(h.db, nowMs - 3 * 3_600_000, 180, {
      total: 3,
      good: 3,
      durationsMs: [10, 20, 1000],
    });
    const to = new Date(nowMs).toISOString();
    const from = new Date(nowMs - 3 * 3_600_000).toISOString();
    const res = await h.call(`/v1/latency?service=edge-api&route=/v1/x&from=${from}&to=${to}`, key);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      count: number;
      p50: number;
      max: number;
      resolution: string;
    };
    expect(body.count).toBe(540);
    expect(body.p50).toBeCloseTo(20, 1);
    expect(body.max).toBeCloseTo(1000, 0);
    expect(body.resolution).toBe("hour"); // whole hours: hour buckets only
    const partial = new Date(nowMs - 150 * 60_000).toISOString();
    const mixed = (await (
      await h.call(`/v1/latency?service=edge-api&from=${partial}&to=${to}`, key)
    ).json()) as typeof body;
    expect(mixed).toMatchObject({ count: 450, resolution: "minute+hour" });
    const none = (await (await h.call("/v1/latency?service=nothing", key)).json()) as {
      count: number;
      p99: unknown;
    };
    expect(none).toMatchObject({ count: 0, p99: null });
  });
});

describe("SLOs: errors and security", () => {
  it("validates definitions with field paths", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const res = await h.call("/v1/slos", key, {
      method: "POST",
      json: {
        ...availability,
        objective: 1.5,
        window: { kind: "rolling", days: 0 },
        sli: { kind: "latency" },
      },
    });
    expect(res.status).toBe(400);
    const paths = (
      (await res.json()) as { error: { details: { path: string }[] } }
    ).error.details.map((d) => d.path);
    for (const p of ["body.objective", "body.window.days", "body.sli.thresholdMs"])
      expect(paths).toContain(p);
  });

  it("rejects bad latency queries", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    expect((await h.call("/v1/latency", key)).status).toBe(400);
    expect(
      (await h.call("/v1/latency?service=a&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", key))
        .status,
    ).toBe(400);
    expect(
      (await h.call("/v1/latency?service=a&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z", key))
        .status,
    ).toBe(400);
    expect((await h.call("/v1/latency?service=a&from=yesterday", key)).status).toBe(400);
  });

  it("needs the write scope to change SLOs", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const reader = (await (
      await h.call("/v1/api-keys", key, { method: "POST", json: { name: "r", scopes: ["read"] } })
    ).json()) as { key: string };
    expect(
      (await h.call("/v1/slos", reader.key, { method: "POST", json: availability })).status,
    ).toBe(403);
    expect((await h.call("/v1/slos", reader.key)).status).toBe(200);
  });
});
