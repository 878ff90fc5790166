/**
 * The alert state machine (Prometheus semantics), evaluated purely: given `now`, the rules, the inputs
 * and the previous states, it returns the next states and what changed.
 *
 *   inactive ──true──▶ pending ──true for `for`──▶ firing ──false for `keep_firing_for`──▶ resolved
 *       ▲                 │ false                       │                                  │
 *       └─────────────────┘ (dropped)                   │ (for: 0 skips pending)            │ true: a new episode
 *                                                        ▼                                  ▼
 *   no_data: neither fires nor clears (a pending alert stays pending, a firing one keeps firing and its
 *   keep_firing_for clock does not start); with the rule's `no_data: "ok"` it counts as false.
 *
 * - An alert the rule no longer yields (its labels changed, its series vanished) counts as false.
 * - An alert whose rule was deleted resolves at once (pending ones are dropped): keep_firing_for
 *   protects against a flapping condition, not against the rule's removal. It then stays resolved for
 *   the retention like any other.
 * - Resolved alerts stay in `states` for `resolvedRetentionMs` (default 15 min) so that the notification
 *   planner can report them; then they are dropped (they reappear in no output).
 * - Edge-triggered alerts (market_subsidy, one per program version): fire at the first evaluation that
 *   yields them, whatever `for` says; stay firing for `keep_firing_for` from then; resolve; and are kept
 *   resolved for `edgeRetentionMs` (default 90 days) so that the same version never fires again while
 *   remembered, whether the caller passes only new program events or all current ones.
 *
 * Identity: fingerprint = FNV-1a 64 of the rule id and the sorted labels (hash.ts). Every transition
 * has an id = hash(fingerprint, from, to, now): re-running the same evaluation after a crash yields the
 * same ids, usable as idempotency keys.
 */
import { type Condition, prepareInputs, type Sample, sampleRule } from "./conditions.ts";
import { alertFingerprint, byFingerprint, stableId } from "./hash.ts";
import type { EvaluationInputs } from "./inputs.ts";
import { type Labels, renderAnnotations } from "./labels.ts";
import type { AlertRule } from "./rules.ts";

export type AlertStatus = "pending" | "firing" | "resolved";
/** `inactive` is the absence of a state. */
export type AlertPhase = "inactive" | AlertStatus;

export interface AlertState {
  fingerprint: string;
  ruleId: string;
  status: AlertStatus;
  labels: Labels;
  annotations: Labels;
  /** Last known value (burn rate, ms, EUR/kWh, %, subsidy %); null without data. */
  value: number | null;
  /** When the condition became true (start of pending, or of firing with for: 0). */
  activeAtMs: number;
  firedAtMs: number | null;
  resolvedAtMs: number | null;
  /** First false evaluation while firing (the keep_firing_for clock); null while true. */
  keepFiringSinceMs: number | null;
  edge: boolean;
  /** Set by `acknowledge`; cleared when a new episode begins. */
  acknowledgedAtMs: number | null;
  acknowledgedBy: string | null;
}

/** A change of an alert's phase, with the alert as it is after the change (before, for drops). */
export interface AlertTransition
  extends Pick<
    AlertState,
    | "fingerprint"
    | "ruleId"
    | "labels"
    | "annotations"
    | "value"
    | "activeAtMs"
    | "firedAtMs"
    | "resolvedAtMs"
  > {
  /** Deterministic: hash(fingerprint, from, to, atMs); an idempotency key. */
  id: string;
  from: AlertPhase;
  to: AlertPhase;
  atMs: number;
}

export interface EvaluateOptions {
  resolvedRetentionMs?: number;
  edgeRetentionMs?: number;
}

export interface EvaluateArgs {
  now: number;
  rules: readonly AlertRule[];
  inputs: EvaluationInputs;
  /** Previous output `states` (any order). */
  states: readonly AlertState[];
  options?: EvaluateOptions;
}

export interface EvaluateResult {
  /** The complete next state, sorted by fingerprint: persist it and delete any state not in it. */
  states: AlertState[];
  /** Sorted by fingerprint. */
  transitions: AlertTransition[];
}

export const defaultResolvedRetentionMs = 15 * 60_000;
export const defaultEdgeRetentionMs = 90 * 86_400_000;

export function evaluate({
  now,
  rules,
  inputs,
  states,
  options = {},
}: EvaluateArgs): EvaluateResult {
  const resolvedRetentionMs = options.resolvedRetentionMs ?? defaultResolvedRetentionMs;
  const edgeRetentionMs = options.edgeRetentionMs ?? defaultEdgeRetentionMs;
  const previous = new Map(states.map((s) => [s.fingerprint, s]));
  const rulesById = new Map(rules.map((r) => [r.id, r]));
  const next = new Map<string, AlertState>();
  const transitions: AlertTransition[] = [];
  const seen = new Set<string>();
  const retained = (s: AlertState) =>
    (s.resolvedAtMs as number) + (s.edge ? edgeRetentionMs : resolvedRetentionMs) > now;
  const record = (prev: AlertState | undefined, state: AlertState | null) => {
    const from = phase(prev);
    const to = phase(state ?? undefined);
    // Forgetting a resolved alert is housekeeping, not a transition.
    if (to !== from && !(from === "resolved" && to === "inactive"))
      transitions.push(transition(state ?? (prev as AlertState), from, to, now));
    // Resolved alerts are remembered for a while, then dropped without a transition.
    if (state && (state.status !== "resolved" || retained(state)))
      next.set(state.fingerprint, state);
  };

  const prepared = prepareInputs(inputs, now);
  for (const rule of rules) {
    for (const sample of sampleRule(rule, prepared, now)) {
      const labels = mergeLabels(rule, sample.labels);
      const fingerprint = fingerprintOf(rule, labels);
      if (seen.has(fingerprint)) continue; // the same alert twice in one input: first wins
      seen.add(fingerprint);
      const prev = previous.get(fingerprint);
      record(prev, step(rule, prev, sample, fingerprint, labels, now));
    }
  }
  for (const prev of previous.values()) {
    if (seen.has(prev.fingerprint)) continue;
    const rule = rulesById.get(prev.ruleId);
    let state: AlertState | null;
    if (!rule) {
      // Rule deleted: resolve now; pending alerts are dropped; resolved ones stay for their retention
      // (listed as recently resolved, like any other), then go.
      state =
        prev.status === "firing" ? resolve(prev, now) : prev.status === "resolved" ? prev : null;
    } else {
      // Yielded no more: the condition is false.
      state = step(
        rule,
        prev,
        { labels: {}, value: prev.value, condition: "false" },
        prev.fingerprint,
        prev.labels,
        now,
      );
    }
    record(prev, state);
  }
  return {
    states: [...next.values()].sort(byFingerprint),
    transitions: transitions.sort(byFingerprint),
  };
}

/**
 * The last fingerprint computed for each rule object, with its labels: a rule usually yields the
 * same labels evaluation after evaluation, so the hash is reused while they stay equal (a pure memo:
 * the fingerprint is a function of the rule id and the labels alone).
 */
const lastFingerprint = new WeakMap<
  AlertRule,
  { ruleId: string; labels: Labels; fingerprint: string }
>();

function fingerprintOf(rule: AlertRule, labels: Labels): string {
  const hit = lastFingerprint.get(rule);
  if (hit && hit.ruleId === rule.id && sameLabels(hit.labels, labels)) return hit.fingerprint;
  const fingerprint = alertFingerprint(rule.id, labels);
  lastFingerprint.set(rule, { ruleId: rule.id, labels, fingerprint });
  return fingerprint;
}

function sameLabels(a: Labels, b: Labels): boolean {
  if (a === b) return true;
  let n = 0;
  for (const key in a) {
    if (!Object.hasOwn(a, key)) continue;
    if (!Object.hasOwn(b, key) || a[key] !== b[key]) return false;
    n++;
  }
  let m = 0;
  for (const key in b) if (Object.hasOwn(b, key)) m++;
  return n === m;
}

/** Alert labels: alertname and severity, then the rule's labels, then the kind's (which win). */
export function mergeLabels(rule: AlertRule, kindLabels: Labels): Labels {
  return { alertname: rule.name, severity: rule.severity, ...rule.labels, ...kindLabels };
}

const phase = (s: AlertState | undefined): AlertPhase => s?.status ?? "inactive";

function step(
  rule: AlertRule,
  prev: AlertState | undefined,
  sample: Sample,
  fingerprint: string,
  labels: Labels,
  now: number,
): AlertState | null {
  let condition: Condition = sample.condition;
  if (condition === "no_data" && rule.no_data === "ok") condition = "false";
  // An edge-triggered alert is true once: at the evaluation that first yields it.
  if (sample.edge && prev) condition = "false";
  const annotate = (value: number | null) =>
    renderAnnotations({ ...sample.annotations, ...rule.annotations }, labels, value);

  if (!prev || prev.status === "resolved") {
    if (condition !== "true") return prev ?? null;
    const fires = rule.for === 0 || sample.edge === true;
    return {
      fingerprint,
      ruleId: rule.id,
      status: fires ? "firing" : "pending",
      labels,
      annotations: annotate(sample.value),
      value: sample.value,
      activeAtMs: now,
      firedAtMs: fires ? now : null,
      resolvedAtMs: null,
      // Edge alerts start their keep_firing_for clock when they fire.
      keepFiringSinceMs: sample.edge ? now : null,
      edge: sample.edge === true,
      acknowledgedAtMs: null,
      acknowledgedBy: null,
    };
  }
  if (condition === "no_data") return prev;
  const updated =
    condition === "true"
      ? { ...prev, labels, value: sample.value, annotations: annotate(sample.value) }
      : prev;
  if (prev.status === "pending") {
    if (condition === "false") return null;
    return now - prev.activeAtMs >= rule.for
      ? { ...updated, status: "firing", firedAtMs: now }
      : updated;
  }
  // firing
  if (condition === "true") return { ...updated, keepFiringSinceMs: null };
  const since = prev.keepFiringSinceMs ?? now;
  if (now - since >= rule.keep_firing_for) return resolve(prev, now);
  return since === prev.keepFiringSinceMs ? prev : { ...prev, keepFiringSinceMs: since };
}

const resolve = (prev: AlertState, now: number): AlertState => ({
  ...prev,
  status: "resolved",
  resolvedAtMs: now,
  keepFiringSinceMs: null,
});

function transition(s: AlertState, from: AlertPhase, to: AlertPhase, now: number): AlertTransition {
  return {
    id: stableId("transition", s.fingerprint, from, to, now),
    fingerprint: s.fingerprint,
    ruleId: s.ruleId,
    from,
    to,
    atMs: now,
    labels: s.labels,
    annotations: s.annotations,
    value: s.value,
    activeAtMs: s.activeAtMs,
    firedAtMs: s.firedAtMs,
    resolvedAtMs: s.resolvedAtMs,
  };
}

export type AcknowledgeResult =
  | { ok: true; states: AlertState[] }
  | { ok: false; reason: "not_found" | "not_active"; states: readonly AlertState[] };

/**
 * Acknowledges an active (pending or firing) alert: it stays listed and in notifications (marked
 * acknowledged) but no longer makes its group repeat-notify. A new episode (firing again after
 * resolving) clears the acknowledgement. Idempotent: acknowledging twice keeps the first time.
 */
export function acknowledge(
  states: readonly AlertState[],
  fingerprint: string,
  nowMs: number,
  by: string | null = null,
): AcknowledgeResult {
  const target = states.find((s) => s.fingerprint === fingerprint);
  if (!target) return { ok: false, reason: "not_found", states };
  if (target.status === "resolved") return { ok: false, reason: "not_active", states };
  if (target.acknowledgedAtMs !== null) return { ok: true, states: [...states] };
  return {
    ok: true,
    states: states.map((s) =>
      s === target ? { ...s, acknowledgedAtMs: nowMs, acknowledgedBy: by } : s,
    ),
  };
}
