import { describe, expect, it } from "vitest";
import { sloDefinitionSchema } from "./definition.ts";
import { importOpenSlo, OpenSloImportError } from "./openslo.ts";

const ratio = `
apiVersion: openslo/v1
kind: SLO
metadata:
  name: edge-availability
  displayName: Edge API availability
spec:
  description: 99.9% of edge requests succeed
  service: edge-api
  indicator:
    metadata:
      name: edge-errors
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: gridpulse
            spec:
              filter: status < 500
              routes: ["/v1/assessments", "/v1/assessments/:id"]
        total:
          metricSource:
            type: gridpulse
            spec:
              filter: all
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: availability
      target: 0.999
  alertPolicies:
    - kind: AlertPolicy
`;

const threshold = `
apiVersion: openslo/v1
kind: SLO
metadata:
  name: benchmark-latency
spec:
  service: edge-api
  indicator:
    metadata:
      name: benchmark-latency
    spec:
      thresholdMetric:
        metricSource:
          type: gridpulse
          spec:
            field: durationMs
            routes: ["/v1/benchmarks"]
  timeWindow:
    - duration: 1M
      isRolling: false
      calendar:
        startTime: 2026-01-01 00:00:00
        timeZone: Europe/Athens
  budgetingMethod: Occurrences
  objectives:
    - target: 0.99
      op: lte
      value: 250
`;

describe("OpenSLO v1 import", () => {
  it("maps a ratio SLI on gridpulse events to an availability SLO", () => {
    const { definition, warnings } = importOpenSlo(ratio);
    expect(definition).toEqual({
      name: "Edge API availability",
      service: "edge-api",
      routes: ["/v1/assessments", "/v1/assessments/:id"],
      sli: { kind: "availability" },
      objective: 0.999,
      window: { kind: "rolling", days: 28 },
      description: "99.9% of edge requests succeed",
    });
    expect(warnings.join()).toContain("alertPolicies are ignored");
    expect(sloDefinitionSchema.safeParse(definition).success).toBe(true);
  });

  it("maps a threshold SLI to a latency SLO over a calendar month", () => {
    const { definition } = importOpenSlo(threshold);
    expect(definition).toMatchObject({
      name: "benchmark-latency",
      sli: { kind: "latency", thresholdMs: 250 },
      objective: 0.99,
      window: { kind: "calendar", unit: "month", timeZone: "Europe/Athens" },
      routes: ["/v1/benchmarks"],
    });
  });

  it.each([
    [
      "timeslices",
      ratio.replace("budgetingMethod: Occurrences", "budgetingMethod: Timeslices"),
      "Timeslices is not supported",
    ],
    [
      "other sources",
      ratio.replaceAll("type: gridpulse", "type: Prometheus"),
      'type "Prometheus" is not supported',
    ],
    [
      "indicatorRef",
      ratio.replace("  indicator:\n", "  indicatorRef: edge-errors\n  indicator:\n"),
      "indicatorRef is not supported",
    ],
    ["hour windows", ratio.replace("duration: 28d", "duration: 12h"), "is not supported"],
    ["gte thresholds", threshold.replace("op: lte", "op: gte"), 'op "gte" is not supported'],
    [
      "unknown filters",
      ratio.replace("filter: status < 500", "filter: status == 200"),
      'filter "status == 200"',
    ],
    [
      "wrong version",
      ratio.replace("openslo/v1", "openslo/v1alpha"),
      "apiVersion must be openslo/v1",
    ],
    ["broken YAML", "spec: [unclosed", "YAML"],
  ])("refuses %s with a clear problem", (_case, yaml, message) => {
    let error: unknown;
    try {
      importOpenSlo(yaml);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(OpenSloImportError);
    expect((error as OpenSloImportError).problems.join("\n")).toContain(message);
  });
});
