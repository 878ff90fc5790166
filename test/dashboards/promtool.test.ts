/**
 * promtool (Debian's prometheus package) on the checked-in configuration: both Prometheus configs and
 * the generated SLO rules pass `promtool check`, and the generated `promtool test rules` cases (burn-rate
 * alerts firing and resolving per tier) pass; a rules file with a wrong factor fails them.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/processes.ts";
import { promtool } from "./prometheus.ts";

describe("promtool", () => {
  it.each(["dashboards/prometheus/prometheus.yml", "dashboards/prometheus/prometheus.compose.yml"])(
    "check config %s",
    (file) => {
      const result = promtool(["check", "config", file]);
      expect(result.output).toMatch(/SUCCESS: 1 rule files found/);
      expect(result.ok, result.output).toBe(true);
    },
  );

  it("check rules", () => {
    const result = promtool(["check", "rules", "dashboards/prometheus/rules/slos.rules.yml"]);
    expect(result.ok, result.output).toBe(true);
    expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
  });

  it("test rules: the burn-rate alerts fire and resolve as generated", () => {
    const result = promtool(["test", "rules", "dashboards/prometheus/tests/slos.test.yml"]);
    expect(result.ok, result.output).toBe(true);
    expect(result.output).toMatch(/SUCCESS/);
  });

  it("test rules fails when a tier's threshold is wrong", () => {
    const dir = mkdtempSync(join(tmpdir(), "gridpulse-promtool-"));
    try {
      const rules = readFileSync(
        join(repoRoot, "dashboards/prometheus/rules/slos.rules.yml"),
        "utf8",
      );
      // The page-slow tier of the availability SLO (6x a 0.001 budget) made to fire at 12x.
      const broken = rules.replaceAll("> 0.006000000006", "> 0.012");
      expect(broken).not.toBe(rules);
      mkdirRules(dir, broken);
      const tests = readFileSync(
        join(repoRoot, "dashboards/prometheus/tests/slos.test.yml"),
        "utf8",
      );
      writeFileSync(join(dir, "tests", "slos.test.yml"), tests);
      const result = promtool(["test", "rules", join(dir, "tests", "slos.test.yml")]);
      expect(result.ok).toBe(false);
      expect(result.output).toMatch(/page-slow/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("promtool at the burn-rate boundary", () => {
  it("the generated `>` holds at exactly burn rate 1; `>=` at the factor would fire the 30-day ticket", () => {
    const dir = mkdtempSync(join(tmpdir(), "gridpulse-promtool-"));
    try {
      const rules = readFileSync(
        join(repoRoot, "dashboards/prometheus/rules/slos.rules.yml"),
        "utf8",
      );
      // The availability SLO's ticket tier (factor 1 of a 0.001 budget) compared with >= 0.001.
      const inclusive = rules.replaceAll("> 0.001000000001", ">= 0.001");
      expect(inclusive).not.toBe(rules);
      mkdirRules(dir, inclusive);
      const tests = readFileSync(
        join(repoRoot, "dashboards/prometheus/tests/slos.test.yml"),
        "utf8",
      );
      expect(tests).toMatch(/edge-api-availability: steady burn rate exactly 1/);
      writeFileSync(join(dir, "tests", "slos.test.yml"), tests);
      const result = promtool(["test", "rules", join(dir, "tests", "slos.test.yml")]);
      expect(result.ok).toBe(false);
      expect(result.output).toMatch(/exactly 1/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function mkdirRules(dir: string, rules: string) {
  for (const sub of ["rules", "tests"]) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, "rules", "slos.rules.yml"), rules);
}
