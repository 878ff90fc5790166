import { describe, expect, it } from "vitest";
import { type AlertState, acknowledge, evaluate } from "./evaluate.ts";
import type { EvaluationInputs } from "./inputs.ts";
import { type AlertRule, type AlertRuleInput, parseAlertRule } from "./rules.ts";

const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
const s = (seconds: number) => T0 + seconds * 1000;

const latencyRule = (over: Partial<AlertRuleInput> = {}): AlertRule =>
  parseAlertRule({
    id: "lat-1",
    name: "EdgeSlow",
    kind: "latency_threshold",
    severity: "ticket",
    params: { service: "edge-api", quantile: "p99", window: "5m", thresholdMs: 300 },
    annotations: { summary: "p99 {{ $value }} ms on {{ $labels.service }}" },
    ...over,
  } as AlertRuleInput);

/** p99 value in ms, or null for no data (count 0). */
const p99 = (value: number | null): EvaluationInputs => ({
  latency: [
    {
      service: "edge-api",
      route: null,
      window: "5m",
      quantiles: {
        count: value === null ? 0 : 100,
        p50: value,
        p90: value,
        p95: value,
        p99: value,
        p999: value,
      },
    },
  ],
});

type Step = [seconds: number, p99: number | null, status: string, transition?: string];

/** Runs the steps in order and checks the status and the transition at each. */
function run(rule: AlertRule, steps: Step[]) {
  let states: AlertState[] = [];
  for (const [sec, value, status, transition] of steps) {
    const out = evaluate({ now: s(sec), rules: [rule], inputs: p99(value), states });
    states = out.states;
    const label = `t=${sec}s p99=${value}`;
    expect(states[0]?.status ?? "inactive", label).toBe(status);
    expect(
      out.transitions.map((t) => `${t.from}->${t.to}`),
      label,
    ).toEqual(transition ? [transition] : []);
  }
  return states;
}

describe("state machine", () => {
  it("for: 0 fires at the first true evaluation, resolves at the first false one", () => {
    run(latencyRule(), [
      [0, 100, "inactive"],
      [10, 400, "firing", "inactive->firing"],
      [20, 500, "firing"],
      [30, 200, "resolved", "firing->resolved"],
      [40, 200, "resolved"],
    ]);
  });

  it("holds a pending alert for `for`, then fires", () => {
    const states = run(latencyRule({ for: 60_000 }), [
      [0, 400, "pending", "inactive->pending"],
      [30, 400, "pending"],
      [59, 400, "pending"],
      [60, 400, "firing", "pending->firing"],
    ]);
    expect(states[0]).toMatchObject({ activeAtMs: s(0), firedAtMs: s(60), value: 400 });
  });

  it("drops a pending alert whose condition turns false before `for` (no notification)", () => {
    run(latencyRule({ for: 60_000 }), [
      [0, 400, "pending", "inactive->pending"],
      [30, 100, "inactive", "pending->inactive"],
      [40, 400, "pending", "inactive->pending"],
      [99, 400, "pending"],
      [100, 400, "firing", "pending->firing"],
    ]);
  });

  it("keep_firing_for keeps firing until the condition has been false that long", () => {
    run(latencyRule({ keep_firing_for: 60_000 }), [
      [0, 400, "firing", "inactive->firing"],
      [10, 100, "firing"],
      [40, 100, "firing"],
      [69, 100, "firing"],
      [70, 100, "resolved", "firing->resolved"],
    ]);
  });

  it("flapping within keep_firing_for stays one firing episode; the clock restarts when true", () => {
    const states = run(latencyRule({ keep_firing_for: 60_000 }), [
      [0, 400, "firing", "inactive->firing"],
      [10, 100, "firing"],
      [50, 400, "firing"],
      [60, 100, "firing"],
      [100, 400, "firing"],
      [110, 100, "firing"],
      [169, 100, "firing"],
      [170, 100, "resolved", "firing->resolved"],
    ]);
    expect(states[0]).toMatchObject({ firedAtMs: s(0), resolvedAtMs: s(170) });
  });

  it("flapping without keep_firing_for gives a new episode each time", () => {
    const states = run(latencyRule(), [
      [0, 400, "firing", "inactive->firing"],
      [10, 100, "resolved", "firing->resolved"],
      [20, 400, "firing", "resolved->firing"],
    ]);
    expect(states[0]).toMatchObject({ activeAtMs: s(20), firedAtMs: s(20), resolvedAtMs: null });
  });

  it("no data neither fires nor clears", () => {
    run(latencyRule({ for: 30_000 }), [
      [0, null, "inactive"],
      [10, 400, "pending", "inactive->pending"],
      [20, null, "pending"],
      // the pending alert is not promoted while there is no data, even past `for`
      [50, null, "pending"],
      [60, 400, "firing", "pending->firing"],
      [70, null, "firing"],
      [3600, null, "firing"],
      [3610, 100, "resolved", "firing->resolved"],
    ]);
  });

  it("no_data: ok treats no data as false", () => {
    run(latencyRule({ no_data: "ok" }), [
      [0, 400, "firing", "inactive->firing"],
      [10, null, "resolved", "firing->resolved"],
    ]);
  });

  it("no data does not start the keep_firing_for clock", () => {
    run(latencyRule({ keep_firing_for: 30_000 }), [
      [0, 400, "firing", "inactive->firing"],
      [10, null, "firing"],
      [100, 100, "firing"],
      [129, 100, "firing"],
      [130, 100, "resolved", "firing->resolved"],
    ]);
  });

  it("forgets resolved alerts after the retention", () => {
    const rule = latencyRule();
    let { states } = evaluate({ now: s(0), rules: [rule], inputs: p99(400), states: [] });
    ({ states } = evaluate({ now: s(10), rules: [rule], inputs: p99(100), states }));
    expect(states[0]?.status).toBe("resolved");
    const later = evaluate({ now: s(10 + 15 * 60), rules: [rule], inputs: p99(100), states });
    expect(later.states).toEqual([]);
    expect(later.transitions).toEqual([]);
  });

  it("renders annotations with the value and labels", () => {
    const { states } = evaluate({
      now: s(0),
      rules: [latencyRule()],
      inputs: p99(412.5),
      states: [],
    });
    expect(states[0]?.annotations.summary).toBe("p99 412.5 ms on edge-api");
    expect(states[0]?.labels).toEqual({
      alertname: "EdgeSlow",
      severity: "ticket",
      service: "edge-api",
      quantile: "p99",
      window: "5m",
    });
  });
});

describe("rule changes", () => {
  it("resolves a firing alert at once when its rule is deleted, even with keep_firing_for", () => {
    const rule = latencyRule({ keep_firing_for: 600_000 });
    const { states } = evaluate({ now: s(0), rules: [rule], inputs: p99(400), states: [] });
    const out = evaluate({ now: s(10), rules: [], inputs: p99(400), states });
    expect(out.transitions).toMatchObject([{ from: "firing", to: "resolved", ruleId: "lat-1" }]);
    expect(out.states).toMatchObject([{ status: "resolved", resolvedAtMs: s(10) }]);
    // stays listed as recently resolved for the retention, without transitions
    const kept = evaluate({ now: s(20), rules: [], inputs: p99(400), states: out.states });
    expect(kept.states).toEqual(out.states);
    expect(kept.transitions).toEqual([]);
    // and then it is forgotten, never firing again
    const after = evaluate({
      now: s(20 + 15 * 60),
      rules: [],
      inputs: p99(400),
      states: out.states,
    });
    expect(after.states).toEqual([]);
    expect(after.transitions).toEqual([]);
  });

  it("drops a pending alert whose rule is deleted", () => {
    const rule = latencyRule({ for: 60_000 });
    const { states } = evaluate({ now: s(0), rules: [rule], inputs: p99(400), states: [] });
    const out = evaluate({ now: s(10), rules: [], inputs: p99(400), states });
    expect(out.transitions).toMatchObject([{ from: "pending", to: "inactive" }]);
    expect(out.states).toEqual([]);
  });

  it("a label change is a new alert: the old one resolves, the new one fires", () => {
    const rule = latencyRule();
    const { states } = evaluate({ now: s(0), rules: [rule], inputs: p99(400), states: [] });
    const relabelled = { ...rule, labels: { team: "edge" } };
    const out = evaluate({ now: s(10), rules: [relabelled], inputs: p99(400), states });
    expect(out.transitions.map((t) => `${t.from}->${t.to}`).sort()).toEqual([
      "firing->resolved",
      "inactive->firing",
    ]);
    expect(new Set(out.states.map((x) => x.fingerprint)).size).toBe(2);
  });
});

describe("transition ids", () => {
  it("are the same when the same evaluation is repeated, and differ across times", () => {
    const rule = latencyRule();
    const a = evaluate({ now: s(5), rules: [rule], inputs: p99(400), states: [] });
    const b = evaluate({ now: s(5), rules: [rule], inputs: p99(400), states: [] });
    const c = evaluate({ now: s(6), rules: [rule], inputs: p99(400), states: [] });
    expect(a.transitions[0]?.id).toMatch(/^[0-9a-f]{16}$/);
    expect(b.transitions[0]?.id).toBe(a.transitions[0]?.id);
    expect(c.transitions[0]?.id).not.toBe(a.transitions[0]?.id);
  });
});

describe("acknowledge", () => {
  it("marks an active alert, keeps the first time, and clears on a new episode", () => {
    const rule = latencyRule();
    let { states } = evaluate({ now: s(0), rules: [rule], inputs: p99(400), states: [] });
    const fp = states[0]?.fingerprint as string;
    const acked = acknowledge(states, fp, s(1), "ops@example.org");
    expect(acked.ok).toBe(true);
    states = acked.states as AlertState[];
    expect(acknowledge(states, fp, s(2)).states[0]?.acknowledgedAtMs).toBe(s(1));
    ({ states } = evaluate({ now: s(10), rules: [rule], inputs: p99(500), states }));
    expect(states[0]).toMatchObject({ acknowledgedAtMs: s(1), acknowledgedBy: "ops@example.org" });
    ({ states } = evaluate({ now: s(20), rules: [rule], inputs: p99(100), states }));
    expect(acknowledge(states, fp, s(21))).toMatchObject({ ok: false, reason: "not_active" });
    ({ states } = evaluate({ now: s(30), rules: [rule], inputs: p99(400), states }));
    expect(states[0]).toMatchObject({ status: "firing", acknowledgedAtMs: null });
    expect(acknowledge(states, "0000000000000000", s(31))).toMatchObject({ reason: "not_found" });
  });
});
