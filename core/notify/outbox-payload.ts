/**
 * What an outbox row carries, and how the dispatcher turns it into a webhook body or a push message.
 *
 * The writer (the alert evaluator, the API's test-send, the dispatcher's owner notice) stores the
 * planned notification itself, not a rendered body: rendering happens at every attempt from the stored
 * row alone (payload + the row's `createdAtMs` + the target), so every retry sends the same bytes and
 * `webhook-id` (= the row's idempotency key) names one message however often it is delivered.
 *
 * Rows are keyed by (channel, target, idempotency key); `outboxRowId` derives the row id from those
 * three so a replayed evaluation step inserts nothing new (INSERT ... ON CONFLICT DO NOTHING).
 */
import { stableId } from "../alerts/hash.ts";
import type { Notification } from "../alerts/plan.ts";
import type { NotificationAlert, NotificationGroup } from "./payloads.ts";
import { type PushAlertMessage, urgencyForSeverity } from "./push-message.ts";

export const outboxChannels = ["webhook", "push"] as const;
export type OutboxChannel = (typeof outboxChannels)[number];

/** Why a row exists; stored in `outbox.trigger` and in every delivery attempt's log. */
export const outboxTriggers = ["alert", "test", "replay", "endpoint_disabled"] as const;
export type OutboxTrigger = (typeof outboxTriggers)[number];

export type OutboxPayload =
  /**
   * A notification planned by core/alerts/plan.ts for the tenant's route; `traceparent`: the trace
   * of the firing it announces (trace export on), continued by the delivery attempts.
   */
  | { type: "alert"; notification: Notification; traceparent?: string }
  /** An endpoint's or subscription's test-send (clearly labelled, never a real alert). */
  | { type: "test" }
  /**
   * Told to the tenant's other endpoints and subscriptions when one of its webhook endpoints was
   * disabled (410, or only failures for the configured period).
   */
  | {
      type: "endpoint_disabled";
      endpointId: string;
      url: string;
      reason: string;
      disabledAtMs: number;
    };

export const outboxRowId = (channel: OutboxChannel, targetId: string, idempotencyKey: string) =>
  `obx_${stableId("outbox", channel, targetId, idempotencyKey)}`;

const iso = (ms: number) => new Date(ms).toISOString();

/** The alerts of a planned notification in the shape the webhook payload formats render. */
export function notificationAlerts(
  notification: Notification,
  externalURL: string,
): NotificationAlert[] {
  return notification.alerts.map((a) => ({
    fingerprint: a.fingerprint,
    status: a.status,
    labels: a.acknowledged ? { ...a.labels, acknowledged: "true" } : a.labels,
    annotations: a.annotations,
    startsAt: iso(a.startsAtMs),
    ...(a.endsAtMs !== null ? { endsAt: iso(a.endsAtMs) } : {}),
    generatorURL: `${externalURL}/v1/alerts/${a.fingerprint}`,
  }));
}

/** A planned notification as a webhook group for `receiver` (the endpoint id). */
export function notificationGroupOf(
  notification: Notification,
  receiver: string,
  externalURL: string,
): NotificationGroup {
  return {
    groupKey: notification.groupKey,
    receiver,
    groupLabels: notification.groupLabels,
    alerts: notificationAlerts(notification, externalURL),
    externalURL,
  };
}

const severityRank: Record<string, number> = { page: 3, ticket: 2, info: 1 };

/** The highest severity among the notification's alerts ("info" when none is labelled). */
export function notificationSeverity(notification: Notification): string {
  let best = "info";
  for (const a of notification.alerts) {
    const s = a.labels.severity;
    if (s && (severityRank[s] ?? 0) > (severityRank[best] ?? 0)) best = s;
  }
  return best;
}

/** Alert fingerprints a push message carries at most (about 20 bytes each of the 3993). */
const maxAcknowledgeable = 20;

/**
 * One push message per notification: the title names the group and its status, the body lists the
 * alerts' summaries (shortened by pushPayload when too long). The topic is derived from the group key
 * by the sender (pushTopicFor), so a repeat replaces the previous message on the device.
 */
export function pushMessageOf(notification: Notification, externalURL: string): PushAlertMessage {
  const firing = notification.alerts.filter((a) => a.status === "firing");
  const name =
    notification.groupLabels.alertname ??
    notification.commonLabels.alertname ??
    notification.alerts[0]?.labels.alertname ??
    "gridpulse alert";
  const lines = notification.alerts.map(
    (a) => `${a.status === "firing" ? "▲" : "✓"} ${a.annotations.summary ?? a.labels.alertname}`,
  );
  const title =
    notification.status === "firing" ? `${name}: ${firing.length} firing` : `${name}: resolved`;
  return {
    title,
    body: lines.join("\n"),
    status: notification.status,
    severity: notificationSeverity(notification),
    fingerprint: notification.groupKey,
    alerts: firing.slice(0, maxAcknowledgeable).map((a) => a.fingerprint),
    url: `${externalURL}/v1/alerts?group=${encodeURIComponent(notification.groupKey)}`,
    ts: iso(notification.atMs),
  };
}

export const pushUrgencyOf = (notification: Notification) =>
  urgencyForSeverity(notificationSeverity(notification));
