import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { libsqlClient } from "../../../core/db/database.ts";
import { openDatabase } from "../../../platform/db/open.ts";
import { createApiMetrics, exposition, wantsOpenMetrics } from "./metrics.ts";

describe("API metrics", () => {
  it("counts assessments by energy class and climate zone", async () => {
    const m = createApiMetrics();
    m.requestMetrics.assessed({ energyClass: "B+", climateZone: "B" });
    m.requestMetrics.assessed({ energyClass: "B+", climateZone: "B" });
    m.requestMetrics.assessed({ energyClass: "H", climateZone: "D" });
    const text = await m.registry.metrics();
    expect(text).toContain('gridpulse_assessments_total{energy_class="B+",climate_zone="B"} 2');
    expect(text).toContain('gridpulse_assessments_total{energy_class="H",climate_zone="D"} 1');
  });

  it("times the embedded database's group commits and its thread's checkpoints", async () => {
    const m = createApiMetrics();
    const dir = mkdtempSync(join(tmpdir(), "gridpulse-db-metrics-"));
    const { db, close } = await openDatabase({
      url: `file:${join(dir, "m.db")}`,
      checkpointIntervalMs: 20,
      onGroupCommit: m.database.groupCommitted,
      onCheckpoint: m.database.checkpointed,
    });
    try {
      const client = libsqlClient(db);
      await client.execute("create table t (x)");
      await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          client.execute({ sql: "insert into t values (?)", args: [i] }),
        ),
      );
      const count = (text: string, name: string) =>
        Number(new RegExp(`^${name} (\\d+)`, "m").exec(text)?.[1] ?? 0);
      let text = await m.registry.metrics();
      // The create, then the eight inserts in one group.
      expect(count(text, "gridpulse_db_group_commit_seconds_count")).toBe(2);
      const deadline = Date.now() + 10_000;
      while (!text.includes('gridpulse_db_wal_checkpoint_seconds_count{outcome="complete"}')) {
        if (Date.now() > deadline) throw new Error("no checkpoint observed");
        await new Promise((r) => setTimeout(r, 20));
        text = await m.registry.metrics();
      }
      m.database.checkpointFailed("retried");
      expect(await m.registry.metrics()).toContain(
        'gridpulse_db_wal_checkpoint_failures_total{outcome="retried"} 1',
      );
    } finally {
      close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("exports the latest market prices read at scrape time, national for region ''", async () => {
    let prices = [{ carrier: "electricity", region: "", eurPerKwh: 0.21 }];
    const m = createApiMetrics({ marketPrices: async () => prices });
    expect(await m.registry.metrics()).toContain(
      'gridpulse_market_price_eur_per_kwh{carrier="electricity",region="national"} 0.21',
    );
    prices = [{ carrier: "natural_gas", region: "Attica", eurPerKwh: 0.09 }];
    const text = await m.registry.metrics();
    expect(text).toContain(
      'gridpulse_market_price_eur_per_kwh{carrier="natural_gas",region="Attica"} 0.09',
    );
    expect(text).not.toContain('carrier="electricity"');
  });

  it("a failed price read leaves the prices out and is counted, and /metrics still answers", async () => {
    const m = createApiMetrics({
      marketPrices: async () => {
        throw new Error("database is locked");
      },
    });
    expect(await m.registry.metrics()).not.toMatch(/^gridpulse_market_price_eur_per_kwh\{/m);
    // The counter is serialised while the read is in flight: the failure shows from the next scrape.
    expect(await m.registry.metrics()).toContain("gridpulse_market_price_read_errors_total 1");
  });

  it("keeps trace ids as exemplars, in the OpenMetrics format", async () => {
    const m = createApiMetrics({ exemplars: true });
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    m.requestMetrics.started();
    m.requestMetrics.finished({ route: "/v1/me", method: "GET", status: 200 }, 0.003, traceId);
    expect(m.registry.contentType).toMatch(/^application\/openmetrics-text/);
    const text = await m.registry.metrics();
    const bucket = text.split("\n").find((l) => l.includes('le="0.005",route="/v1/me"'));
    expect(bucket).toMatch(new RegExp(`\\} 1 # \\{trace_id="${traceId}"\\} 0.003 \\d`));
    expect(text.trimEnd().endsWith("# EOF")).toBe(true);
    // Without exemplars: Prometheus' text format, no trace ids.
    const plain = createApiMetrics();
    plain.requestMetrics.finished({ route: "/v1/me", method: "GET", status: 200 }, 0.003, traceId);
    expect(plain.registry.contentType).toMatch(/^text\/plain/);
    expect(await plain.registry.metrics()).not.toContain(traceId);
  });

  it("answers OpenMetrics only to a scrape that asks for it, exemplars only there", async () => {
    for (const [accept, openMetrics] of [
      [undefined, false],
      ["", false],
      ["text/plain;version=0.0.4", false],
      ["*/*", false],
      ["application/json", false],
      ["application/openmetrics-text", true],
      ["application/openmetrics-text; version=1.0.0; charset=utf-8", true],
      [
        "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
        true,
      ],
      ["text/plain;q=0.9, application/openmetrics-text;q=0.5", false],
      ["application/openmetrics-text;q=0, text/plain", false],
      ["application/openmetrics-text;q=bogus", false],
    ] as const)
      expect(wantsOpenMetrics(accept), String(accept)).toBe(openMetrics);

    const m = createApiMetrics({ exemplars: true });
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    m.requestMetrics.finished({ route: "/v1/me", method: "GET", status: 200 }, 0.003, traceId);
    m.requestMetrics.rateLimited();
    const om = await exposition(m.registry, "application/openmetrics-text");
    expect(om.contentType).toBe("application/openmetrics-text; version=1.0.0; charset=utf-8");
    expect(om.body).toMatch(new RegExp(`\\} 1 # \\{trace_id="${traceId}"\\} 0.003 \\d`));
    expect(om.body).toContain(
      "# TYPE gridpulse_api_rate_limited counter\ngridpulse_api_rate_limited_total 1\n",
    );
    expect(om.body.endsWith("\n# EOF\n")).toBe(true);
    // The text format after an OpenMetrics scrape: counters keep their names, no exemplars.
    const text = await exposition(m.registry, "text/plain;version=0.0.4");
    expect(text.contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(text.body).toContain(
      "# TYPE gridpulse_api_rate_limited_total counter\ngridpulse_api_rate_limited_total 1\n",
    );
    expect(text.body).toMatch(
      /^gridpulse_api_request_duration_seconds_bucket\{le="0.005",.*\} 1$/m,
    );
    expect(text.body).not.toContain(traceId);
    expect(text.body).not.toContain("# EOF");
  });

  it("leaves out prom-client's gauges named like counters, keeps their per-type twins", async () => {
    const m = createApiMetrics();
    const text = (await exposition(m.registry, undefined)).body;
    for (const name of ["handles", "requests", "resources"]) {
      expect(text).not.toContain(`nodejs_active_${name}_total`);
      expect(text).toContain(`# TYPE nodejs_active_${name} gauge`);
    }
  });
});
