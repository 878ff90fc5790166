import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { RemoteWriteCounts } from "../../core/db/remote-database.ts";
import { databaseMetrics } from "./metrics.ts";

const value = (text: string, series: string) => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe("database metrics of a libSQL server client", () => {
  it("export the client's totals at scrape time, growing by what they grew", async () => {
    const registry = new Registry();
    const metrics = databaseMetrics([registry]);
    const counts: RemoteWriteCounts = {
      groups: 3,
      writes: 12,
      split: 1,
      combined: 40,
      expired: 2,
      readGroups: 5,
      reads: 30,
    };
    // Not observed yet (an embedded file): nothing to count.
    let text = await registry.metrics();
    expect(value(text, 'gridpulse_db_server_requests_total{kind="read"}')).toBeUndefined();

    metrics.observeRemote(counts);
    text = await registry.metrics();
    expect(value(text, 'gridpulse_db_server_requests_total{kind="read"}')).toBe(5);
    expect(value(text, 'gridpulse_db_server_requests_total{kind="write"}')).toBe(3);
    expect(value(text, 'gridpulse_db_server_operations_total{kind="read"}')).toBe(30);
    expect(value(text, 'gridpulse_db_server_operations_total{kind="write"}')).toBe(12);
    expect(value(text, "gridpulse_db_server_expired_total")).toBe(2);
    expect(value(text, "gridpulse_db_server_split_groups_total")).toBe(1);
    expect(value(text, "gridpulse_db_server_combined_statements_total")).toBe(40);

    counts.readGroups += 4;
    counts.reads += 17;
    text = await registry.metrics();
    expect(value(text, 'gridpulse_db_server_requests_total{kind="read"}')).toBe(9);
    expect(value(text, 'gridpulse_db_server_operations_total{kind="read"}')).toBe(47);
    // A scrape with nothing new changes nothing.
    text = await registry.metrics();
    expect(value(text, 'gridpulse_db_server_requests_total{kind="read"}')).toBe(9);
    expect(value(text, 'gridpulse_db_server_requests_total{kind="write"}')).toBe(3);
  });
});
