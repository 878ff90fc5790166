/**
 * Notification planning as in Alertmanager, purely: given `now`, the alert states, the groups' state,
 * a route, silences and inhibition rules, it returns the notifications to send now and the groups'
 * next state. The caller writes both in one transaction (the outbox), so a crash either loses the
 * whole step (the replay computes the same notifications with the same keys) or none of it.
 *
 * - Grouping: alerts with equal values of the route's `group_by` labels ("..." = all labels) form one
 *   group. A group is created by its first firing alert; its first flush is `group_wait` later, then it
 *   flushes every `group_interval` (a fixed grid from the first flush, however late `plan` is called).
 * - Escalation (`escalate_immediately`, default on): a page is never held back by a lower severity.
 *   A newly firing alert of severity `page`, or of a higher severity than every firing alert the
 *   receiver was told of in its group, flushes the group at once (once `group_wait` has passed since
 *   the group formed) instead of waiting for the next `group_interval` step; the grid stays.
 * - A flush notifies when an alert fires that the receiver has not been told of (in this episode), when
 *   an alert the receiver was told is firing has resolved (with send_resolved), or when the group still
 *   has unacknowledged firing alerts and `repeat_interval` has passed since its last notification.
 *   A notification lists every unmuted firing alert of the group (acknowledged ones marked) and the
 *   newly resolved ones.
 * - Muted alerts (silenced or inhibited) never appear in a notification as firing; one muted while
 *   firing and then unmuted is not re-announced (the receiver already knows it).
 * - Resolved notifications: whether an alert the receiver was told is firing gets one is decided once,
 *   when its episode ends: at the first `plan` call that sees it resolved (or gone from the evaluator),
 *   which is the evaluation step of the resolution when `plan` runs at every step. Muted then (silenced,
 *   or inhibited by a firing alert): it is dropped silently; not muted then: its resolve is sent at the
 *   group's next flush, whatever is muted at that flush. The decision is persisted with the group
 *   (`NotifiedAlert.mutedAtResolve`); so a silence created, or a page starting to fire, between the
 *   resolution and the flush does not swallow the resolve, and an alert resolved while silenced stays
 *   dropped when the silence ends before the flush.
 * - A group with no firing alert and nothing left to report is dropped.
 * - Idempotency key: hash([key scope,] group key, group creation time, sequence number). The sequence increases by
 *   one per notification of a group; the creation time separates a group that was dropped and formed
 *   again. Same persisted state + same `now` and inputs → same notifications and keys.
 */
import { z } from "zod";
import type { AlertState } from "./evaluate.ts";
import { byFingerprint, sortedLabelPairs, stableId } from "./hash.ts";
import { commonLabels, type Labels, labelNameSchema } from "./labels.ts";
import {
  defaultInhibitRules,
  type InhibitRule,
  isMuted,
  type Silence,
  silencedBy,
  suppressions,
} from "./suppression.ts";

const ms = (min: number, max: number, defaultMs: number) =>
  z.number().int().min(min).max(max).default(defaultMs);

export const routeSchema = z.strictObject({
  id: z.string().min(1).max(128).default("default"),
  /** Default: pages and tickets never share a group (their receivers route on severity). */
  group_by: z
    .array(z.union([labelNameSchema, z.literal("...")]))
    .max(32)
    .default(["alertname", "severity"]),
  /** 10 s: a page reaches its receiver well within a minute of its condition becoming true. */
  group_wait: ms(0, 3_600_000, 10_000),
  group_interval: ms(1_000, 86_400_000, 300_000),
  repeat_interval: ms(60_000, 30 * 86_400_000, 4 * 3_600_000),
  send_resolved: z.boolean().default(true),
  /**
   * A newly firing page, or an alert of a higher severity than every firing alert the receiver was
   * told of in its group, is sent at once instead of at the group's next `group_interval` step.
   */
  escalate_immediately: z.boolean().default(true),
});

/** Severity order for escalation: page > ticket > info > anything else. */
const severityRank = (labels: Labels) =>
  labels.severity === "page"
    ? 3
    : labels.severity === "ticket"
      ? 2
      : labels.severity === "info"
        ? 1
        : 0;

export type RouteConfig = z.output<typeof routeSchema>;
export type RouteConfigInput = z.input<typeof routeSchema>;

/** An alert as the receiver was last told it was firing. */
export interface NotifiedAlert {
  fingerprint: string;
  ruleId: string;
  labels: Labels;
  annotations: Labels;
  value: number | null;
  startsAtMs: number;
  /**
   * Set once the planner has seen this episode end (the alert resolved, or gone from the evaluator):
   * whether the alert was muted (silenced or inhibited) at that moment. At the group's next flush the
   * resolve is sent iff this is false (and send_resolved). Absent while the alert fires, and in state
   * stored before the field existed: the first `plan` call that sees the episode over decides then (for
   * a resolve already pending across the upgrade, that is the old rule: muted at a later call, at the
   * latest at the flush).
   */
  mutedAtResolve?: boolean;
}

export interface NotificationGroup {
  key: string;
  routeId: string;
  labels: Labels;
  createdAtMs: number;
  nextFlushAtMs: number;
  /** Notifications sent so far. */
  sequence: number;
  lastNotifiedAtMs: number | null;
  /** Sorted by fingerprint. */
  notifiedFiring: NotifiedAlert[];
}

export interface NotificationAlert {
  fingerprint: string;
  ruleId: string;
  status: "firing" | "resolved";
  labels: Labels;
  annotations: Labels;
  value: number | null;
  startsAtMs: number;
  endsAtMs: number | null;
  acknowledged: boolean;
}

export type NotificationReason = "firing" | "resolved" | "repeat";

export interface Notification {
  idempotencyKey: string;
  groupKey: string;
  routeId: string;
  sequence: number;
  atMs: number;
  /** firing while any listed alert fires. */
  status: "firing" | "resolved";
  reasons: NotificationReason[];
  groupLabels: Labels;
  commonLabels: Labels;
  commonAnnotations: Labels;
  /** Firing alerts first, then resolved ones; each sorted by fingerprint. */
  alerts: NotificationAlert[];
}

export interface PlanArgs {
  now: number;
  /** Evaluator states; pending alerts are ignored. */
  alerts: readonly AlertState[];
  groups: readonly NotificationGroup[];
  route: RouteConfig;
  silences: readonly Silence[];
  /** Default: `defaultInhibitRules` (a firing page inhibits the ticket of the same SLO). */
  inhibitRules?: readonly InhibitRule[];
  /**
   * The owner of the groups (a tenant id), mixed into every idempotency key: two owners with equal
   * routes and labels form equal group keys, and their groups may be created in the same instant;
   * their notifications must still never share a key (receivers deduplicate by it).
   */
  keyScope?: string;
}

export interface PlanResult {
  notifications: Notification[];
  /** The complete next state of the groups (other routes' unchanged), sorted by key. */
  groups: NotificationGroup[];
}

export function groupLabelsFor(route: Pick<RouteConfig, "group_by">, labels: Labels): Labels {
  if (route.group_by.includes("...")) return { ...labels };
  const out: Record<string, string> = {};
  for (const name of route.group_by) {
    const value = labels[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

export const groupKeyFor = (routeId: string, groupLabels: Labels) =>
  stableId("group", routeId, sortedLabelPairs(groupLabels));

export function plan({
  now,
  alerts,
  groups,
  route,
  silences,
  inhibitRules = defaultInhibitRules,
  keyScope,
}: PlanArgs): PlanResult {
  const visible = alerts.filter((a) => a.status !== "pending");
  const firingEpisode = new Map(
    visible.filter((a) => a.status === "firing").map((a) => [a.fingerprint, a.firedAtMs]),
  );
  const muted = suppressions({ now, alerts: visible, silences, inhibitRules });
  const members = new Map<string, { labels: Labels; alerts: AlertState[] }>();
  for (const alert of [...visible].sort(byFingerprint)) {
    const labels = groupLabelsFor(route, alert.labels);
    const key = groupKeyFor(route.id, labels);
    const m = members.get(key) ?? { labels, alerts: [] };
    m.alerts.push(alert);
    members.set(key, m);
  }
  const previous = new Map(groups.filter((g) => g.routeId === route.id).map((g) => [g.key, g]));
  const keys = [...new Set([...previous.keys(), ...members.keys()])].sort();
  const notifications: Notification[] = [];
  const nextGroups: NotificationGroup[] = [];
  for (const key of keys) {
    const m = members.get(key);
    const anyFiring = m?.alerts.some((a) => a.status === "firing") ?? false;
    let group = previous.get(key);
    if (!group) {
      if (!m || !anyFiring) continue;
      group = {
        key,
        routeId: route.id,
        labels: m.labels,
        createdAtMs: now,
        nextFlushAtMs: now + route.group_wait,
        sequence: 0,
        lastNotifiedAtMs: null,
        notifiedFiring: [],
      };
    }
    group = noteEnded(
      group,
      m?.alerts ?? [],
      now,
      (a) => isMuted(muted.get(a)),
      silences,
      firingEpisode,
    );
    const onGrid = now >= group.nextFlushAtMs;
    // Off the grid, only an escalation flushes (and only after the group's first group_wait).
    const early =
      !onGrid && route.escalate_immediately && now >= group.createdAtMs + route.group_wait;
    if (onGrid || early) {
      const flushed = flush(
        group,
        m?.alerts ?? [],
        now,
        route,
        (a) => isMuted(muted.get(a)),
        silences,
        keyScope,
        firingEpisode,
        early,
      );
      group = flushed.group;
      if (flushed.notification) notifications.push(flushed.notification);
    }
    if (!anyFiring && group.notifiedFiring.length === 0) continue;
    nextGroups.push(group);
  }
  // Groups of other routes pass through untouched.
  const others = groups.filter((g) => g.routeId !== route.id);
  return {
    notifications,
    groups: [...others, ...nextGroups].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
  };
}

/**
 * Records, for each alert the receiver was told is firing whose episode is seen over for the first
 * time (resolved, or gone from the evaluator and not firing in another group in the same episode),
 * whether it is muted now: the decision its resolved notification follows at the next flush. Runs at
 * every `plan` call, on the grid or not. A decision recorded for an episode that fires again (same
 * start: only a caller replaying states can do that) is cleared. Returns `group` itself when nothing
 * changes.
 */
function noteEnded(
  group: NotificationGroup,
  alerts: readonly AlertState[],
  now: number,
  isMutedFp: (fingerprint: string) => boolean,
  silences: readonly Silence[],
  firingEpisode: ReadonlyMap<string, number | null>,
): NotificationGroup {
  const byFp = new Map(alerts.map((a) => [a.fingerprint, a]));
  let changed = false;
  const notifiedFiring = group.notifiedFiring.map((n): NotifiedAlert => {
    const alert = byFp.get(n.fingerprint);
    const over =
      alert === undefined
        ? firingEpisode.get(n.fingerprint) !== n.startsAtMs
        : alert.status !== "firing";
    if (!over) {
      // Firing (or firing in another group in the same episode): nothing has ended yet. A new episode
      // is handled by the flush (announced as firing, the old entry dropped without a resolve).
      if (n.mutedAtResolve === undefined || alert?.firedAtMs !== n.startsAtMs) return n;
      changed = true;
      const { mutedAtResolve: _, ...rest } = n;
      return rest;
    }
    if (n.mutedAtResolve !== undefined) return n;
    changed = true;
    return { ...n, mutedAtResolve: mutedNow(n, alert, isMutedFp, silences, now) };
  });
  return changed ? { ...group, notifiedFiring } : group;
}

/**
 * Whether a notified alert is muted now: silenced or inhibited while the evaluator still has it, only
 * silences to check (by its notified labels) once it is gone.
 */
const mutedNow = (
  n: NotifiedAlert,
  alert: AlertState | undefined,
  isMutedFp: (fingerprint: string) => boolean,
  silences: readonly Silence[],
  now: number,
) => (alert ? isMutedFp(alert.fingerprint) : silencedBy(silences, n.labels, now).length > 0);

function flush(
  group: NotificationGroup,
  alerts: readonly AlertState[],
  now: number,
  route: RouteConfig,
  isMutedFp: (fingerprint: string) => boolean,
  silences: readonly Silence[],
  keyScope: string | undefined,
  /** Firing alerts of every group (fingerprint -> firedAtMs): an alert that moved to another group. */
  firingEpisode: ReadonlyMap<string, number | null>,
  /** Off the grid: notify only when an alert escalates, else leave the group as it is. */
  escalationOnly: boolean,
): { group: NotificationGroup; notification: Notification | null } {
  const byFp = new Map(alerts.map((a) => [a.fingerprint, a]));
  const firing = alerts.filter((a) => a.status === "firing");
  const firingNow = firing.filter((a) => !isMutedFp(a.fingerprint));
  const notified = new Map(group.notifiedFiring.map((n) => [n.fingerprint, n]));

  const resolvedNow: NotificationAlert[] = [];
  const stillNotified: NotifiedAlert[] = [];
  for (const n of group.notifiedFiring) {
    const alert = byFp.get(n.fingerprint);
    if (alert?.status === "firing") {
      // Firing again in a new episode: announced as new firing (below), not as resolved.
      if (alert.firedAtMs === n.startsAtMs) stillNotified.push(n);
      continue;
    }
    // Still firing in the same episode, in another group (the route's group_by changed): it was or
    // will be announced there; this group forgets it without reporting it resolved.
    if (!alert && firingEpisode.get(n.fingerprint) === n.startsAtMs) continue;
    // Resolved or vanished: the episode the receiver was told of is over. Whether it is reported was
    // decided when it ended (noteEnded), not by what is muted now.
    if (n.mutedAtResolve ?? mutedNow(n, alert, isMutedFp, silences, now)) continue;
    const resolvedInPlace = alert?.status === "resolved";
    resolvedNow.push({
      fingerprint: n.fingerprint,
      ruleId: n.ruleId,
      status: "resolved",
      labels: resolvedInPlace ? alert.labels : n.labels,
      annotations: resolvedInPlace ? alert.annotations : n.annotations,
      value: resolvedInPlace ? alert.value : n.value,
      startsAtMs: n.startsAtMs,
      endsAtMs: resolvedInPlace ? (alert.resolvedAtMs ?? now) : now,
      acknowledged: resolvedInPlace ? alert.acknowledgedAtMs !== null : false,
    });
  }

  const newFiring = firingNow.filter(
    (a) => notified.get(a.fingerprint)?.startsAtMs !== a.firedAtMs,
  );
  if (escalationOnly) {
    // A page always; another severity only above what the receiver knows is firing in the group.
    const told = stillNotified.map((n) => severityRank(n.labels));
    const escalates = newFiring.some((a) => {
      const rank = severityRank(a.labels);
      return rank === 3 || (told.length > 0 && rank > Math.max(...told));
    });
    if (!escalates) return { group, notification: null };
  }
  const repeatDue =
    group.lastNotifiedAtMs !== null &&
    now - group.lastNotifiedAtMs >= route.repeat_interval &&
    firingNow.some((a) => a.acknowledgedAtMs === null);
  const reasons: NotificationReason[] = [];
  if (newFiring.length > 0) reasons.push("firing");
  if (route.send_resolved && resolvedNow.length > 0) reasons.push("resolved");
  if (repeatDue && reasons.length === 0) reasons.push("repeat");

  const stride = Math.floor((now - group.nextFlushAtMs) / route.group_interval) + 1;
  const nextFlushAtMs = group.nextFlushAtMs + stride * route.group_interval;
  if (reasons.length === 0) {
    return {
      group: { ...group, nextFlushAtMs, notifiedFiring: stillNotified },
      notification: null,
    };
  }

  const listed: NotificationAlert[] = [
    ...firingNow.map(
      (a): NotificationAlert => ({
        fingerprint: a.fingerprint,
        ruleId: a.ruleId,
        status: "firing",
        labels: a.labels,
        annotations: a.annotations,
        value: a.value,
        startsAtMs: a.firedAtMs as number,
        endsAtMs: null,
        acknowledged: a.acknowledgedAtMs !== null,
      }),
    ),
    ...(route.send_resolved ? resolvedNow : []),
  ];
  const sequence = group.sequence + 1;
  // Told now: every listed firing alert, plus muted ones the receiver was told of before.
  const told = new Map<string, NotifiedAlert>();
  for (const n of stillNotified) told.set(n.fingerprint, n);
  for (const a of firingNow) {
    told.set(a.fingerprint, {
      fingerprint: a.fingerprint,
      ruleId: a.ruleId,
      labels: a.labels,
      annotations: a.annotations,
      value: a.value,
      startsAtMs: a.firedAtMs as number,
    });
  }
  const notification: Notification = {
    idempotencyKey:
      keyScope === undefined
        ? stableId("notification", group.key, group.createdAtMs, sequence)
        : stableId("notification", keyScope, group.key, group.createdAtMs, sequence),
    groupKey: group.key,
    routeId: group.routeId,
    sequence,
    atMs: now,
    status: firingNow.length > 0 ? "firing" : "resolved",
    reasons,
    groupLabels: group.labels,
    commonLabels: commonLabels(listed.map((a) => a.labels)),
    commonAnnotations: commonLabels(listed.map((a) => a.annotations)),
    alerts: listed,
  };
  return {
    group: {
      ...group,
      nextFlushAtMs,
      sequence,
      lastNotifiedAtMs: now,
      notifiedFiring: [...told.values()].sort(byFingerprint),
    },
    notification,
  };
}
