/**
 * One evaluation step of a tenant, purely: the loaded snapshot and gathered inputs in, the next alert
 * states, transitions, notification groups, planned notifications and outbox rows out. Held alerts
 * (rules that could not be loaded) pass through unchanged and still count for grouping, silencing and
 * inhibition. Deterministic: the same persisted state, inputs and `nowMs` give the same rows and keys.
 */
import {
  type AlertState,
  type AlertTransition,
  type EvaluationInputs,
  evaluate,
  type Notification,
  type NotificationGroup,
  plan,
} from "../../core/alerts/index.ts";
import {
  notificationAlerts,
  type OutboxChannel,
  outboxRowId,
} from "../../core/notify/outbox-payload.ts";
import { filterMatches } from "../../core/notify/subscription-filter.ts";
import type { OutboxInsert } from "../notify/outbox-rows.ts";
import type { TenantSnapshot } from "./tenant.ts";

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

export function computeStep(
  snapshot: TenantSnapshot,
  inputs: EvaluationInputs,
  nowMs: number,
): StepResult {
  const held = snapshot.states.filter((s) => snapshot.heldRuleIds.has(s.ruleId));
  const live = snapshot.states.filter((s) => !snapshot.heldRuleIds.has(s.ruleId));
  const evaluated = evaluate({ now: nowMs, rules: snapshot.rules, inputs, states: live });
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
