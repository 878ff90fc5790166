import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { requestDurationBucketsS } from "../../api/platform/node/metrics.ts";
import { sloDefinitionSchema } from "../../core/slo/definition.ts";
import { renderRules } from "./rules-output.ts";
import { type PrometheusSource, parseSloFile } from "./slo-file.ts";
import { generateSloRules, leMatcher, sliQueries, tiersOf } from "./slo-rules.ts";

const source: PrometheusSource = {
  histogram: "http_request_duration_seconds",
  selector: 'job="x"',
  routeLabel: "route",
  statusLabel: "status",
  bucketsS: [0.1, 0.25, 1],
};
const slo = (input: Record<string, unknown>) =>
  sloDefinitionSchema.parse({
    name: "x",
    service: "svc",
    sli: { kind: "availability" },
    objective: 0.999,
    window: { kind: "rolling", days: 30 },
    ...input,
  });

describe("SLO rules", () => {
  it("uses core's tier factors, recomputed from the window length", () => {
    expect(tiersOf(slo({})).map((t) => t.factor)).toEqual([14.4, 6, 1]);
    expect(tiersOf(slo({ window: { kind: "rolling", days: 28 } })).map((t) => t.factor)).toEqual([
      13.44, 5.6, 0.933333,
    ]);
    const { groups } = generateSloRules([{ id: "a", slo: slo({}) }], { svc: source });
    const alerts = groups.flatMap((g) => g.rules).filter((r) => "alert" in r);
    expect(alerts.map((a) => a.labels.burn_rate_factor)).toEqual(["14.4", "6", "1"]);
    expect(alerts[0]?.expr).toContain('slo:sli_error:ratio_rate1h{slo_id="a"} > 0.0144000000144');
    expect(alerts[0]?.expr).toContain("* 3600 >= 20");
  });

  it("fires above the exact factor, not the rounded one (28 days' ticket: 14/15, shown as 0.933333)", () => {
    const { groups } = generateSloRules(
      [{ id: "b", slo: slo({ window: { kind: "rolling", days: 28 } }) }],
      { svc: source },
    );
    const ticket = groups
      .flatMap((g) => g.rules)
      .find((r) => "alert" in r && r.labels.tier === "ticket");
    expect(ticket && "alert" in ticket ? ticket.labels.burn_rate_factor : "").toBe("0.933333");
    const threshold = Number(
      /ratio_rate3d\{slo_id="b"\} > ([0-9.e-]+)/.exec(ticket?.expr ?? "")?.[1],
    );
    // 14 bad of 15,000 burns exactly 14/15 of a 0.1 % budget: the rule must not fire on it.
    expect(threshold).toBeGreaterThan(14 / 15_000);
    expect(threshold).toBeLessThan((14 / 15_000) * (1 + 1e-8));
  });

  it("counts 5xx as bad for availability and requests above the bucket bound for latency", () => {
    const a = sliQueries(slo({ routes: ["/v1/x/:id", "/v1.y"] }), source, "5m");
    expect(a.errors).toContain('status=~"5.."');
    expect(a.total).toContain('route=~"/v1/x/:id|/v1\\\\.y"');
    const l = sliQueries(slo({ sli: { kind: "latency", thresholdMs: 250 } }), source, "1h");
    expect(l.errors).toContain('_bucket{job="x",le=~"0\\\\.250*"}[1h]');
    expect(() =>
      sliQueries(slo({ sli: { kind: "latency", thresholdMs: 300 } }), source, "1h"),
    ).toThrow(/300 ms is not a bucket bound/);
  });

  it("matches le however the exposition writes the bound", () => {
    expect(leMatcher(1)).toBe('le=~"1(\\\\.0*)?"');
    expect(leMatcher(0.25)).toBe('le=~"0\\\\.250*"');
  });

  it("skips SLOs of services without a Prometheus source and says so", () => {
    const { groups, skipped } = generateSloRules([{ id: "a", slo: slo({}) }], {});
    expect(groups).toEqual([]);
    expect(skipped[0]).toMatch(/no Prometheus source for service "svc"/);
  });

  it("rejects invalid SLO files with every problem", () => {
    expect(() =>
      parseSloFile("slos:\n  - id: a\n    name: x\n    objective: 2\n  - id: a\n", "f.yaml"),
    ).toThrow(/slo a:[\s\S]*objective/);
  });

  it("the API source in dashboards/slos.yaml has the API histogram's buckets", () => {
    const file = parseSloFile(readFileSync("dashboards/slos.yaml", "utf8"), "dashboards/slos.yaml");
    expect(file.sources["edge-api"]?.bucketsS).toEqual(requestDurationBucketsS);
    expect(file.slos.map((s) => s.id)).toEqual([
      "edge-api-availability",
      "edge-api-latency",
      "edge-api-assessments",
    ]);
  });

  it("the checked-in rules and promtool tests are generated from dashboards/slos.yaml", () => {
    const file = parseSloFile(readFileSync("dashboards/slos.yaml", "utf8"), "dashboards/slos.yaml");
    const rendered = renderRules(file, {
      command: "npm run rules:generate",
      testRuleFile: "../rules/slos.rules.yml",
    });
    expect(rendered.skipped).toEqual([]);
    expect(readFileSync("dashboards/prometheus/rules/slos.rules.yml", "utf8")).toBe(rendered.rules);
    expect(readFileSync("dashboards/prometheus/tests/slos.test.yml", "utf8")).toBe(rendered.tests);
  });
});
