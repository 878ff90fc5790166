/**
 * One evaluation step of a tenant, purely: the loaded snapshot and gathered inputs in, the next alert
 * states, transitions, notification groups, planned notifications and outbox rows out. Held alerts
 * (rules that could not be loaded) pass through unchanged and still count for grouping, silencing and
 * inhibition. Deterministic: the same persisted state, inputs and `nowMs` give the same rows and keys.
 */
import {
  type AlertRule,
  type AlertState,
  type AlertTransition,
  type EvaluationInputs,
  evaluate,
  type Notification,
  type NotificationGroup,
  plan,
  prepareInputs,
  sampleRule,
} from "../../core/alerts/index.ts";
import {
  notificationAlerts,
  type OutboxChannel,
  outboxRowId,
} from "../../core/notify/outbox-payload.ts";
import { filterMatches } from "../../core/notify/subscription-filter.ts";
import type { OutboxInsert } from "../notify/outbox-rows.ts";
import type { TenantSnapshot } from "./tenant.ts";
import { sameJson } from "./writer.ts";

export interface StepResult {
  /** Next states of the evaluated (not held) alerts, sorted by fingerprint. */
  states: AlertState[];
  /** Held alerts, unchanged. */
  held: AlertState[];
  transitions: AlertTransition[];
  groups: NotificationGroup[];
  notifications: Notification[];
  outbox: OutboxInsert[];
}

/**
 * What the caller knows of a due tenant (incremental evaluation):
 * - "settled": the snapshot (states, groups, route, silences) is exactly as this evaluator's last
 *   committed step left it, and none of the tenant's clocks (core/alerts/due.ts) came due since. Then,
 *   when the evaluation makes no transition and changes no alert in what `plan` acts on off its flush
 *   grid (which alerts exist, their status, labels, activation, firing and resolution times,
 *   acknowledgement: only values, annotations and the keep_firing_for clock may differ), `plan` is
 *   not run: before a clock comes due, a group flushes only on an escalation, which depends on just
 *   those fields, so it would leave the groups as they are and notify nothing, as at the last step.
 *   The states are still compared and written as usual.
 * - "market": settled, and due only because market events arrived (its request windows and minute
 *   are those of its last step, so every other rule samples as then). When the tenant has no alert of
 *   a market_price rule and no such rule's sample is true (and it has no market_subsidy rule), the
 *   evaluation would yield exactly the states it has: nothing is evaluated.
 */
export type StepQuiet = "settled" | "market";

export function computeStep(
  snapshot: TenantSnapshot,
  inputs: EvaluationInputs,
  nowMs: number,
  quiet?: StepQuiet,
): StepResult {
  if (quiet === "market" && marketUnchanged(snapshot, inputs, nowMs)) {
    return {
      states: snapshot.states
        .filter((s) => !snapshot.heldRuleIds.has(s.ruleId))
        .sort((a, b) =>
          a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0,
        ),
      held: snapshot.states.filter((s) => snapshot.heldRuleIds.has(s.ruleId)),
      transitions: [],
      groups: snapshot.groups,
      notifications: [],
      outbox: [],
    };
  }
  const settled = quiet !== undefined;
  const held = snapshot.states.filter((s) => snapshot.heldRuleIds.has(s.ruleId));
  const live = snapshot.states.filter((s) => !snapshot.heldRuleIds.has(s.ruleId));
  const evaluated = evaluate({ now: nowMs, rules: snapshot.rules, inputs, states: live });
  if (settled && evaluated.transitions.length === 0 && samePlanInputs(live, evaluated.states)) {
    return {
      states: evaluated.states,
      held,
      transitions: [],
      groups: snapshot.groups,
      notifications: [],
      outbox: [],
    };
  }
  const planned = plan({
    now: nowMs,
    alerts: [...evaluated.states, ...held],
    groups: snapshot.groups,
    route: snapshot.route,
    silences: snapshot.silences,
    inhibitRules: snapshot.inhibitRules,
    // Tenants with equal routes and alert names form equal groups: keep their keys apart.
    keyScope: snapshot.tenantId,
  });
  return {
    states: evaluated.states,
    held,
    transitions: evaluated.transitions,
    groups: planned.groups,
    notifications: planned.notifications,
    outbox: planned.notifications.flatMap((n) => outboxRowsFor(snapshot, n, nowMs)),
  };
}

/** No market_price rule of the tenant has an alert or a true sample, and it has no subsidy rule. */
function marketUnchanged(snapshot: TenantSnapshot, inputs: EvaluationInputs, nowMs: number) {
  const market: AlertRule[] = [];
  for (const rule of snapshot.rules) {
    if (rule.kind === "market_subsidy") return false;
    if (rule.kind === "market_price") market.push(rule);
  }
  if (market.length === 0) return true;
  for (const s of snapshot.states) if (market.some((r) => r.id === s.ruleId)) return false;
  const prepared = prepareInputs(inputs, nowMs);
  return market.every((rule) =>
    sampleRule(rule, prepared, nowMs).every((sample) => sample.condition !== "true"),
  );
}

/** Whether `next` holds the same alerts as `previous` (any order) in every field `plan` reads off-grid. */
function samePlanInputs(previous: readonly AlertState[], next: readonly AlertState[]): boolean {
  if (previous.length !== next.length) return false;
  if (next.length === 0) return true;
  const byFingerprint = new Map(previous.map((s) => [s.fingerprint, s]));
  return next.every((s) => {
    const b = byFingerprint.get(s.fingerprint);
    return (
      b !== undefined &&
      b.ruleId === s.ruleId &&
      b.status === s.status &&
      b.activeAtMs === s.activeAtMs &&
      b.firedAtMs === s.firedAtMs &&
      b.resolvedAtMs === s.resolvedAtMs &&
      b.edge === s.edge &&
      b.acknowledgedAtMs === s.acknowledgedAtMs &&
      b.acknowledgedBy === s.acknowledgedBy &&
      sameJson(b.labels, s.labels)
    );
  });
}

/**
 * One row per enabled webhook endpoint, and one per push subscription whose filters accept at least
 * one alert of the notification.
 */
export function outboxRowsFor(
  snapshot: Pick<TenantSnapshot, "tenantId" | "webhookIds" | "push">,
  notification: Notification,
  nowMs: number,
): OutboxInsert[] {
  const row = (channel: OutboxChannel, targetId: string): OutboxInsert => ({
    id: outboxRowId(channel, targetId, notification.idempotencyKey),
    tenantId: snapshot.tenantId,
    channel,
    targetId,
    idempotencyKey: notification.idempotencyKey,
    payload: { type: "alert", notification },
    nextAttemptAtMs: nowMs,
    createdAtMs: notification.atMs,
  });
  const alerts = notificationAlerts(notification, "");
  return [
    ...snapshot.webhookIds.map((id) => row("webhook", id)),
    ...snapshot.push
      .filter((s) => alerts.some((a) => filterMatches(s.filters, a)))
      .map((s) => row("push", s.id)),
  ];
}
