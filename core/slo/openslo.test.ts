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

/** The problems an import reports, or [] when it imports. */
function problemsOf(yaml: string): string[] {
  try {
    importOpenSlo(yaml);
    return [];
  } catch (error) {
    if (error instanceof OpenSloImportError) return error.problems;
    throw error;
  }
}

const withObjective = (objective: string) =>
  threshold.replace("    - target: 0.99\n      op: lte\n      value: 250\n", objective);
const withWindow = (window: string) =>
  ratio.replace("    - duration: 28d\n      isRolling: true\n", window);

describe("OpenSLO thresholds", () => {
  it.each([
    ["lt 300", "    - { op: lt, value: 300, target: 0.99 }\n"],
    ["lt 1", "    - { op: lt, value: 1, target: 0.99 }\n"],
    ["lt 0.5", "    - { op: lt, value: 0.5, target: 0.99 }\n"],
  ])(
    "refuses %s: durations are fractional ms and gridpulse counts durationMs <= a whole ms",
    (_c, o) => {
      expect(problemsOf(withObjective(o)).join("\n")).toContain('op "lt" is not supported');
    },
  );

  it("refuses lte with a value that is not whole milliseconds, imports whole ones exactly", () => {
    expect(
      problemsOf(withObjective("    - { op: lte, value: 250.5, target: 0.99 }\n")).join(),
    ).toContain("objectives[0].value 250.5 must be whole milliseconds");
    expect(
      importOpenSlo(withObjective("    - { op: lte, value: 300, target: 0.99 }\n")).definition.sli,
    ).toEqual({ kind: "latency", thresholdMs: 300 });
  });
});

describe("OpenSLO time windows", () => {
  it("takes a window with a calendar and no isRolling as calendar-aligned", () => {
    const { definition } = importOpenSlo(
      withWindow(
        "    - duration: 1M\n      calendar:\n        startTime: 2020-01-01 00:00:00\n        timeZone: Europe/Athens\n",
      ),
    );
    expect(definition.window).toEqual({
      kind: "calendar",
      unit: "month",
      timeZone: "Europe/Athens",
    });
    expect(
      problemsOf(
        withWindow(
          "    - duration: 28d\n      calendar:\n        startTime: 2020-01-01 00:00:00\n        timeZone: Europe/Athens\n",
        ),
      ).join(),
    ).toContain("calendar windows other than one month are not supported");
  });

  it.each([
    ["the 15th", "2020-01-15 00:00:00"],
    ["12:30", "2020-01-01 12:30:00"],
    ["one second past midnight", "2020-03-01 00:00:01"],
    ["no date", "midnight"],
  ])("refuses a calendar startTime on %s (months start on the 1st at 00:00)", (_c, startTime) => {
    expect(
      problemsOf(
        withWindow(
          `    - duration: 1M\n      isRolling: false\n      calendar:\n        startTime: "${startTime}"\n        timeZone: Europe/Athens\n`,
        ),
      ).join(),
    ).toContain("spec.timeWindow[0].calendar.startTime");
  });

  it("refuses a rolling month", () => {
    expect(problemsOf(withWindow("    - duration: 1M\n      isRolling: true\n")).join()).toContain(
      "a month window must be a calendar month",
    );
  });
});

describe("OpenSLO targetPercent", () => {
  it.each([
    [99.9, 0.999],
    [99.99, 0.9999],
    [99.999, 0.99999],
    [95.7, 0.957],
    [99.95, 0.9995],
  ])("imports targetPercent %s as target %s exactly", (percent, target) => {
    const yaml = ratio.replace("target: 0.999", `targetPercent: ${percent}`);
    expect(importOpenSlo(yaml).definition.objective).toBe(target);
  });

  it("refuses a document with both target and targetPercent, and a percent out of range", () => {
    expect(
      problemsOf(ratio.replace("target: 0.999", "target: 0.999\n      targetPercent: 99.9")).join(),
    ).toContain("give objectives[0].target or objectives[0].targetPercent, not both");
    expect(problemsOf(ratio.replace("target: 0.999", "targetPercent: 100")).join()).toContain(
      "objectives[0].targetPercent",
    );
  });
});
