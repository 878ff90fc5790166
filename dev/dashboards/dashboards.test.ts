import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { allDashboards } from "./boards/index.ts";
import { dashboardSchema } from "./dashboard-schema.ts";
import { fillQuery, scrapedFamilies } from "./panel-queries.ts";

const fill = {
  variables: { service: ".*", route: "/v1/x" },
  rateInterval: "1m",
  range: "5m",
  interval: "15s",
};

describe("dashboards", () => {
  const boards = allDashboards();

  it.each(Object.entries(boards))("%s passes the dashboard schema", (_file, json) => {
    const result = dashboardSchema.safeParse(json);
    expect(result.success ? [] : result.error.issues).toEqual([]);
  });

  it.each(Object.keys(boards))("%s on disk is what the generator writes", (file) => {
    const onDisk = JSON.parse(readFileSync(`dashboards/grafana/dashboards/${file}`, "utf8"));
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(boards[file])));
  });

  it("has unique uids", () => {
    const uids = Object.values(boards).map((b) => b.uid);
    expect(new Set(uids).size).toBe(uids.length);
  });

  it("the schema rejects an old schemaVersion, overlapping panels and a missing route variable", () => {
    const api = structuredClone(boards["api.json"]) as Record<string, unknown> & {
      panels: { gridPos: { x: number; y: number } }[];
      templating: { list: { name: string }[] };
    };
    const messages = (d: unknown) => {
      const result = dashboardSchema.safeParse(d);
      return result.success ? "" : result.error.issues.map((i) => i.message).join("\n");
    };
    expect(messages({ ...api, schemaVersion: 39 })).toMatch(/expected 42/);
    const overlapping = {
      ...api,
      panels: api.panels.map((p, i) => (i === 2 ? { ...p, gridPos: { ...p.gridPos, x: 0 } } : p)),
      templating: { list: api.templating.list.filter((v) => v.name !== "route") },
    };
    expect(messages(overlapping)).toMatch(/overlaps/);
    expect(messages(overlapping)).toMatch(/template variable route is missing/);
    expect(messages(api)).toBe("");
  });

  it("fills template variables and Grafana's intervals but leaves label_replace groups", () => {
    expect(
      fillQuery(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's ${var} syntax, not JS.
        'label_replace(rate(x{service=~"$service",route=~"${route}"}[$__rate_interval]), "w", "$1", "a", "(.*)")',
        fill,
      ),
    ).toBe('label_replace(rate(x{service=~".*",route=~"/v1/x"}[1m]), "w", "$1", "a", "(.*)")');
  });

  it("names the scraped metric families a query reads", () => {
    expect(
      scrapedFamilies(
        'histogram_quantile(0.9, sum by (le) (rate(gridpulse_api_request_duration_seconds_bucket{route="/gridpulse_x"}[1m]))) / slo:error_budget:ratio + nodejs_eventloop_lag_p99_seconds',
      ),
    ).toEqual(["gridpulse_api_request_duration_seconds", "nodejs_eventloop_lag_p99_seconds"]);
  });
});
