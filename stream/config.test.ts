import { createClient } from "@libsql/client";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../core/config/env.ts";
import { createDatabase } from "../core/db/database.ts";
import { requestHours, requestMinutes } from "../core/db/schema/index.ts";
import { encodeHistogram, newLatencyHistogram } from "../core/latency/histogram.ts";
import { countWindows } from "../core/latency/window-queries.ts";
import { sloDefinitionSchema } from "../core/slo/definition.ts";
import { computeSloStatus, sloCountWindows } from "../core/slo/status.ts";
import { applyMigrations } from "../platform/db/migrate.ts";
import { loadStreamConfig } from "./config.ts";
import { createWindowStore } from "./evaluate/window-store.ts";

const env = { KAFKA_BROKERS: "localhost:9092" };
const problemsOf = (overrides: Record<string, string>) => {
  try {
    loadStreamConfig({ ...env, ...overrides });
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
};

describe("window retention", () => {
  it("keeps by default every hour bucket of the longest SLO window: a 90-day SLO still counts errors of 60 days ago", async () => {
    const config = loadStreamConfig(env);
    const db = createDatabase(createClient({ url: ":memory:" }));
    await applyMigrations(db);
    const now = Date.UTC(2026, 5, 10, 12, 0, 30);
    const day = 86_400_000;
    const bucket = (bucketStartMs: number, total: number, good: number) => ({
      service: "edge-api",
      route: "/v1/x",
      bucketStartMs,
      total,
      good,
      goodWithin: {},
      histogram: encodeHistogram(newLatencyHistogram()),
      updatedAtMs: bucketStartMs,
    });
    const hour = (ms: number) => ms - (ms % 3_600_000);
    await db
      .insert(requestHours)
      .values([
        bucket(hour(now - 89 * day - 3_600_000), 1000, 0),
        bucket(hour(now - 60 * day), 1000, 0),
        bucket(hour(now - day), 1000, 1000),
      ]);
    await db.insert(requestMinutes).values(bucket(now - (now % 60_000) - 22 * 3_600_000, 10, 5));
    // The stream worker prunes with these retentions every 10 minutes (stream/main.ts).
    await createWindowStore(db).prune(now, {
      minuteMs: config.STREAM_MINUTE_RETENTION_HOURS * 3_600_000,
      hourMs: config.STREAM_HOUR_RETENTION_DAYS * day,
    });
    const slo = sloDefinitionSchema.parse({
      name: "quarter",
      service: "edge-api",
      sli: { kind: "availability" },
      objective: 0.99,
      window: { kind: "rolling", days: 90 },
      tiers: [
        {
          name: "slow",
          severity: "ticket",
          longWindow: "90d",
          shortWindow: "23h",
          budgetConsumed: 1,
        },
      ],
    });
    const counts = await countWindows(
      db,
      { service: "edge-api", routes: [] },
      sloCountWindows(slo, now),
    );
    const status = computeSloStatus(slo, now, counts);
    expect(status.budget).toMatchObject({ total: 3000, bad: 2000 });
    expect(status.tiers[0]?.longWindow).toMatchObject({ total: 3000, bad: 2000 });
    expect(status.tiers[0]?.shortWindow).toMatchObject({ total: 10, bad: 5 });
  });

  it("refuses hour retention shorter than the longest SLO window and a day", () => {
    expect(problemsOf({ STREAM_HOUR_RETENTION_DAYS: "40" })).toEqual([
      "STREAM_HOUR_RETENTION_DAYS: must be at least 91 (SLO windows reach 90 days, counted from hour buckets)",
    ]);
    expect(problemsOf({ STREAM_HOUR_RETENTION_DAYS: "91" })).toEqual([]);
  });

  it("refuses minute retention shorter than a day (windows under a day are counted from minute buckets)", () => {
    expect(problemsOf({ STREAM_MINUTE_RETENTION_HOURS: "23" })).toEqual([
      "STREAM_MINUTE_RETENTION_HOURS: must be at least 24 (SLO windows under a day are counted from minute buckets)",
    ]);
    expect(problemsOf({ STREAM_MINUTE_RETENTION_HOURS: "24" })).toEqual([]);
  });
});
