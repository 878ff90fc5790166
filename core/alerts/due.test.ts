/**
 * `nextDueAtMs` is exact for the state machine's own clocks: with the inputs unchanged, evaluating one
 * millisecond before the instant it names changes nothing, and evaluating at that instant changes
 * something. The incremental evaluator skips a tenant until then, so an instant too late would delay
 * a transition and one too early would only cost a step; both are caught here.
 */
import { describe, expect, it } from "vitest";
import { nextDueAtMs } from "./due.ts";
import { type AlertState, evaluate } from "./evaluate.ts";
import type { EvaluationInputs } from "./inputs.ts";
import { type AlertRule, type AlertRuleInput, parseAlertRule } from "./rules.ts";

const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
const route = { id: "default", group_wait: 10_000 };

const rule = (over: Partial<AlertRuleInput> = {}): AlertRule =>
  parseAlertRule({
    id: "lat-1",
    name: "EdgeSlow",
    kind: "latency_threshold",
    severity: "ticket",
    params: { service: "edge-api", quantile: "p99", window: "5m", thresholdMs: 300 },
    ...over,
  } as AlertRuleInput);

const p99 = (value: number): EvaluationInputs => ({
  latency: [
    {
      service: "edge-api",
      route: null,
      window: "5m",
      quantiles: { count: 100, p50: value, p90: value, p95: value, p99: value, p999: value },
    },
  ],
});

const step = (r: AlertRule, now: number, inputs: EvaluationInputs, states: AlertState[]) =>
  evaluate({ now, rules: [r], inputs, states });

const due = (r: AlertRule, now: number, inputs: EvaluationInputs, states: AlertState[]) =>
  nextDueAtMs({ now, rules: [r], states, groups: [], route, silences: [], inputs });

/** From `states` at `now`, the due instant is where the first change happens with inputs unchanged. */
function expectExact(r: AlertRule, now: number, inputs: EvaluationInputs, states: AlertState[]) {
  const at = due(r, now, inputs, states);
  expect(at).toBeGreaterThan(now);
  expect(Number.isFinite(at)).toBe(true);
  const before = step(r, at - 1, inputs, states);
  expect(before.transitions).toEqual([]);
  expect(before.states.map((s) => s.status)).toEqual(states.map((s) => s.status));
  const atDue = step(r, at, inputs, states);
  const changed =
    atDue.transitions.length > 0 ||
    JSON.stringify(atDue.states.map((s) => s.status)) !==
      JSON.stringify(states.map((s) => s.status));
  expect(changed).toBe(true);
  return { at, after: atDue };
}

describe("nextDueAtMs", () => {
  it("a pending alert is due exactly when `for` has passed", () => {
    const r = rule({ for: 60_000 });
    const { states } = step(r, T0, p99(400), []);
    expect(states[0]?.status).toBe("pending");
    const { at, after } = expectExact(r, T0, p99(400), states);
    expect(at).toBe(T0 + 60_000);
    expect(after.states[0]?.status).toBe("firing");
  });

  it("a firing alert whose condition went false is due when keep_firing_for has passed", () => {
    const r = rule({ keep_firing_for: 90_000 });
    const fired = step(r, T0, p99(400), []).states;
    const cleared = step(r, T0 + 5_000, p99(100), fired).states;
    expect(cleared[0]?.status).toBe("firing");
    const { at, after } = expectExact(r, T0 + 5_000, p99(100), cleared);
    expect(at).toBe(T0 + 5_000 + 90_000);
    expect(after.states[0]?.status).toBe("resolved");
  });

  it("a resolved alert is due when it is forgotten", () => {
    const r = rule();
    const fired = step(r, T0, p99(400), []).states;
    const resolved = step(r, T0 + 1_000, p99(100), fired).states;
    expect(resolved[0]?.status).toBe("resolved");
    const { after } = expectExact(r, T0 + 1_000, p99(100), resolved);
    expect(after.states).toEqual([]);
  });

  it("a subsidy program announced before it opens is due when it opens, and fires then", () => {
    const r = parseAlertRule({
      id: "sub",
      name: "NewSubsidy",
      kind: "market_subsidy",
      severity: "info",
      params: { match: "region" },
    });
    const opensAt = T0 + 30 * 86_400_000;
    const inputs: EvaluationInputs = {
      subsidies: {
        programs: [
          {
            id: "s1",
            ts: T0,
            kind: "subsidy",
            program: "Exoikonomo",
            regions: ["Attica"],
            opensAt,
          },
        ],
        subscriber: { regions: ["Attica"], assessedClasses: [] },
      },
    };
    const announced = step(r, T0, inputs, []);
    expect(announced.transitions).toEqual([]);
    const { at, after } = expectExact(r, T0, inputs, announced.states);
    expect(at).toBe(opensAt);
    expect(after.transitions.map((t) => t.to)).toEqual(["firing"]);
  });

  it("names group flushes, group_wait, silence edges and price windows, and nothing in the past", () => {
    const market = parseAlertRule({
      id: "mkt-1",
      name: "PriceJump",
      kind: "market_price",
      severity: "ticket",
      params: { carrier: "electricity", condition: { op: "change_pct", window: "1h", pct: 10 } },
    } as AlertRuleInput);
    const base = {
      now: T0,
      rules: [market],
      states: [],
      route,
      inputs: {} as EvaluationInputs,
    };
    const group = {
      routeId: "default",
      nextFlushAtMs: T0 + 300_000,
      createdAtMs: T0 - 2_000,
    } as unknown as Parameters<typeof nextDueAtMs>[0]["groups"][number];
    expect(nextDueAtMs({ ...base, groups: [group], silences: [] })).toBe(T0 + 8_000);
    const silence = { startsAtMs: T0 - 1, endsAtMs: T0 + 42_000 } as unknown as Parameters<
      typeof nextDueAtMs
    >[0]["silences"][number];
    expect(nextDueAtMs({ ...base, groups: [], silences: [silence] })).toBe(T0 + 42_000);
    const prices = {
      prices: [{ carrier: "electricity", region: "", tsMs: T0 - 3_000_000, eurPerKwh: 0.2 }],
    } as unknown as EvaluationInputs;
    expect(nextDueAtMs({ ...base, groups: [], silences: [], inputs: prices })).toBe(
      T0 - 3_000_000 + 3_600_000,
    );
    expect(nextDueAtMs({ ...base, groups: [], silences: [] })).toBe(Number.POSITIVE_INFINITY);
  });
});
