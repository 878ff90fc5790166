/**
 * Property-based tests: replayed evaluations and plans give identical results and keys; the state
 * machine never fires without its condition; no notification ever carries an alert firing while
 * silenced or inhibited, nor the resolve of an alert that was silenced or inhibited when it resolved.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type AlertState, evaluate } from "./evaluate.ts";
import { alertFingerprint } from "./hash.ts";
import type { EvaluationInputs } from "./inputs.ts";
import { type Notification, type NotificationGroup, plan, routeSchema } from "./plan.ts";
import { type AlertRule, parseAlertRule } from "./rules.ts";
import { defaultInhibitRules, type Silence, silencedBy, suppressions } from "./suppression.ts";

const T0 = Date.UTC(2026, 10, 30, 12);
const services = ["edge-api", "stream"] as const;
const THRESHOLD = 300;

const ruleArb = fc
  .record({
    for: fc.constantFrom(0, 30_000, 60_000, 300_000),
    keep_firing_for: fc.constantFrom(0, 30_000, 120_000),
    no_data: fc.constantFrom("keep_state", "ok"),
  })
  .map((opts) =>
    services.map((service) =>
      parseAlertRule({
        id: `lat-${service}`,
        name: "Slow",
        kind: "latency_threshold",
        severity: "ticket",
        params: { service, quantile: "p99", window: "5m", thresholdMs: THRESHOLD },
        ...opts,
      }),
    ),
  );

/** Per step: seconds since the last step, and per service a p99 in ms or null (no data). */
const stepsArb = fc.array(
  fc.record({
    dtSec: fc.integer({ min: 1, max: 120 }),
    values: fc.tuple(
      fc.option(fc.integer({ min: 0, max: 600 }), { nil: null }),
      fc.option(fc.integer({ min: 0, max: 600 }), { nil: null }),
    ),
  }),
  { minLength: 1, maxLength: 40 },
);

const inputsOf = (values: readonly (number | null)[]): EvaluationInputs => ({
  latency: services.map((service, i) => {
    const v = values[i] ?? null;
    return {
      service,
      route: null,
      window: "5m" as const,
      quantiles: { count: v === null ? 0 : 10, p50: v, p90: v, p95: v, p99: v, p999: v },
    };
  }),
});

function runEvaluations(rules: AlertRule[], steps: { dtSec: number; values: (number | null)[] }[]) {
  let states: AlertState[] = [];
  let now = T0;
  const outputs = [];
  for (const step of steps) {
    now += step.dtSec * 1000;
    const before = states;
    const out = evaluate({ now, rules, inputs: inputsOf(step.values), states });
    outputs.push({ now, before, values: step.values, out });
    states = out.states;
  }
  return outputs;
}

describe("evaluator properties", () => {
  it("a replay of any step from its persisted state gives identical states and transition ids", () => {
    fc.assert(
      fc.property(ruleArb, stepsArb, (rules, steps) => {
        const first = runEvaluations(rules, steps);
        const second = runEvaluations(rules, steps);
        expect(second.map((o) => o.out)).toEqual(first.map((o) => o.out));
        for (const { now, before, values, out } of first) {
          // crash and replay: same persisted state, same now and inputs, states in any order
          const replay = evaluate({
            now,
            rules: [...rules].reverse(),
            inputs: inputsOf(values),
            states: [...before].reverse(),
          });
          expect(replay).toEqual(out);
        }
      }),
    );
  });

  it("never fires or stays pending against its condition", () => {
    fc.assert(
      fc.property(ruleArb, stepsArb, (rules, steps) => {
        const rule = rules[0] as AlertRule;
        const lastTrue: (number | null)[] = [];
        for (const { now, values, out } of runEvaluations(rules, steps)) {
          const v = values[0] ?? null;
          const condition =
            v === null
              ? rule.no_data === "ok"
                ? "false"
                : "no_data"
              : v > THRESHOLD
                ? "true"
                : "false";
          const s = out.states.find((x) => x.ruleId === rule.id);
          if (condition === "true") lastTrue.push(now);
          if (!s) continue;
          if (s.status === "pending") expect(condition).not.toBe("false");
          if (s.status === "firing") {
            expect((s.firedAtMs as number) - s.activeAtMs).toBeGreaterThanOrEqual(rule.for);
            if (condition === "false") {
              // only kept firing while the first false evaluation is less than keep_firing_for ago
              expect(now - (s.keepFiringSinceMs as number)).toBeLessThan(rule.keep_firing_for);
            }
            expect(lastTrue.length).toBeGreaterThan(0);
          }
          if (s.status === "resolved" && s.resolvedAtMs === now) expect(condition).toBe("false");
          // at most one transition per alert per evaluation
          const fps = out.transitions.map((t) => t.fingerprint);
          expect(new Set(fps).size).toBe(fps.length);
        }
      }),
    );
  });

  it("no data alone never creates an alert", () => {
    fc.assert(
      fc.property(ruleArb, stepsArb, (rules, steps) => {
        const quiet = steps.map((s) => ({ ...s, values: [null, null] }));
        for (const { out } of runEvaluations(rules, quiet)) expect(out.states).toEqual([]);
      }),
    );
  });
});

// ---- planner ----------------------------------------------------------------------------------------

const pool = (["edge-api", "stream", "market"] as const).flatMap((service) =>
  (["page", "ticket"] as const).map((severity) => {
    const labels = { alertname: "A", service, severity, slo_id: `slo-${service}` };
    return { labels, fingerprint: alertFingerprint("r", labels) };
  }),
);

const matcherArb = fc.record({
  name: fc.constantFrom("service", "severity"),
  type: fc.constantFrom("=", "!=", "=~", "!~"),
  value: fc.constantFrom("edge-api", "stream", "page", "ticket", "edge.*", "str|page", "e", ".+"),
}) as fc.Arbitrary<Silence["matchers"][number]>;

const silenceArb = fc
  .record({
    id: fc.uuid(),
    matchers: fc.array(matcherArb, { minLength: 1, maxLength: 2 }),
    startSec: fc.integer({ min: 0, max: 3000 }),
    lengthSec: fc.integer({ min: 1, max: 3000 }),
  })
  .map(
    (s): Silence => ({
      id: s.id,
      matchers: s.matchers,
      startsAtMs: T0 + s.startSec * 1000,
      endsAtMs: T0 + (s.startSec + s.lengthSec) * 1000,
    }),
  );

/** Per step: seconds since the last step and per pool alert: absent, firing or resolved. */
const planStepsArb = fc.array(
  fc.record({
    dtSec: fc.integer({ min: 1, max: 400 }),
    statuses: fc.array(fc.constantFrom("absent", "firing", "resolved"), {
      minLength: pool.length,
      maxLength: pool.length,
    }),
  }),
  { minLength: 1, maxLength: 30 },
);

const routeArb = fc
  .record({
    group_by: fc.constantFrom(["alertname"], ["service"], ["..."], []),
    group_wait: fc.constantFrom(0, 30_000),
    group_interval: fc.constantFrom(1_000, 60_000, 300_000),
    repeat_interval: fc.constantFrom(60_000, 600_000),
    send_resolved: fc.boolean(),
  })
  .map((r) => routeSchema.parse(r));

function runPlans(
  route: ReturnType<typeof routeSchema.parse>,
  silences: Silence[],
  steps: { dtSec: number; statuses: string[] }[],
) {
  let groups: NotificationGroup[] = [];
  let now = T0;
  /** Per fingerprint no longer firing: the step at which it stopped (its time and alerts). */
  const ended = new Map<string, { now: number; alerts: AlertState[] }>();
  let firingBefore = new Set<string>();
  const sent: {
    n: Notification;
    alerts: AlertState[];
    ended: Map<string, { now: number; alerts: AlertState[] }>;
  }[] = [];
  for (const step of steps) {
    now += step.dtSec * 1000;
    const alerts: AlertState[] = [];
    step.statuses.forEach((status, i) => {
      const p = pool[i];
      if (!p || status === "absent") return;
      alerts.push({
        ...p,
        ruleId: "r",
        status: status as "firing" | "resolved",
        annotations: {},
        value: null,
        activeAtMs: T0,
        firedAtMs: T0,
        resolvedAtMs: status === "resolved" ? now : null,
        keepFiringSinceMs: null,
        edge: false,
        acknowledgedAtMs: null,
        acknowledgedBy: null,
      });
    });
    const firing = new Set(alerts.filter((a) => a.status === "firing").map((a) => a.fingerprint));
    for (const fp of firing) ended.delete(fp);
    for (const fp of firingBefore) if (!firing.has(fp)) ended.set(fp, { now, alerts });
    firingBefore = firing;
    const out = plan({ now, alerts, groups, route, silences });
    groups = out.groups;
    for (const n of out.notifications) sent.push({ n, alerts, ended: new Map(ended) });
  }
  return sent;
}

describe("planner properties", () => {
  it("never notifies an alert firing while muted, nor one resolved while muted", () => {
    fc.assert(
      fc.property(
        routeArb,
        fc.array(silenceArb, { maxLength: 3 }),
        planStepsArb,
        (route, silences, steps) => {
          for (const { n, alerts, ended } of runPlans(route, silences, steps)) {
            for (const a of n.alerts) {
              // Firing: muted at the flush. Resolved: muted when it stopped firing (the resolve).
              const at = a.status === "firing" ? { now: n.atMs, alerts } : ended.get(a.fingerprint);
              expect(at).toBeDefined();
              if (!at) continue;
              const muted = suppressions({
                now: at.now,
                alerts: at.alerts,
                silences,
                inhibitRules: defaultInhibitRules,
              });
              expect(silencedBy(silences, a.labels, at.now)).toEqual([]);
              expect(muted.get(a.fingerprint)?.inhibitedBy ?? []).toEqual([]);
            }
          }
        },
      ),
    );
  });

  it("replays identically, and every notification has its own idempotency key", () => {
    fc.assert(
      fc.property(
        routeArb,
        fc.array(silenceArb, { maxLength: 2 }),
        planStepsArb,
        (route, silences, steps) => {
          const a = runPlans(route, silences, steps).map((x) => x.n);
          const b = runPlans(route, silences, steps).map((x) => x.n);
          expect(b).toEqual(a);
          const keys = a.map((n) => n.idempotencyKey);
          expect(new Set(keys).size).toBe(keys.length);
          for (const n of a) expect(n.alerts.length).toBeGreaterThan(0);
        },
      ),
    );
  });
});
