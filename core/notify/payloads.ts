/**
 * Webhook bodies for one notification (a group of alerts, as Alertmanager groups them): gridpulse's
 * own JSON (`{ type, timestamp, data }`, the Standard Webhooks envelope) or Alertmanager's webhook
 * format version 4, so receivers written for Alertmanager work unchanged.
 */

export type AlertStatus = "firing" | "resolved";
export type Severity = "page" | "ticket" | "info";
export const webhookPayloadFormats = ["gridpulse", "alertmanager"] as const;
export type WebhookPayloadFormat = (typeof webhookPayloadFormats)[number];

export interface NotificationAlert {
  /** Identity of the alert: a hash of rule and labels. */
  fingerprint: string;
  status: AlertStatus;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  /** RFC 3339. */
  startsAt: string;
  /** RFC 3339; set when resolved. */
  endsAt?: string;
  /** Link to the rule or SLO in gridpulse. */
  generatorURL?: string;
}

export interface NotificationGroup {
  /** Identifies the group (Alertmanager: route + group labels). */
  groupKey: string;
  /** The receiver (endpoint or subscription) name. */
  receiver: string;
  groupLabels: Readonly<Record<string, string>>;
  alerts: readonly NotificationAlert[];
  /** Base URL of the gridpulse installation. */
  externalURL: string;
}

export interface AlertmanagerWebhookV4 {
  version: "4";
  groupKey: string;
  truncatedAlerts: number;
  status: AlertStatus;
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: {
    status: AlertStatus;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    generatorURL: string;
    fingerprint: string;
  }[];
}

/** Alertmanager's "zero time" for the endsAt of a firing alert without a known end. */
const zeroTime = "0001-01-01T00:00:00Z";

/** A group fires while any of its alerts does. */
export const groupStatus = (alerts: readonly NotificationAlert[]): AlertStatus =>
  alerts.some((a) => a.status === "firing") ? "firing" : "resolved";

/** Key/value pairs present, with the same value, in every map (Alertmanager's common labels). */
export function commonPairs(
  maps: readonly Readonly<Record<string, string>>[],
): Record<string, string> {
  const [first, ...rest] = maps;
  if (!first) return {};
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(first)) {
    if (rest.every((m) => m[key] === value)) out[key] = value;
  }
  return out;
}

/** Alertmanager webhook v4; `maxAlerts` (0 = all) truncates the list and counts the rest. */
export function alertmanagerPayload(
  group: NotificationGroup,
  options: { maxAlerts?: number } = {},
): AlertmanagerWebhookV4 {
  const max = options.maxAlerts ?? 0;
  const kept = max > 0 ? group.alerts.slice(0, max) : group.alerts;
  return {
    version: "4",
    groupKey: group.groupKey,
    truncatedAlerts: group.alerts.length - kept.length,
    status: groupStatus(group.alerts),
    receiver: group.receiver,
    groupLabels: { ...group.groupLabels },
    // Computed over all alerts, as Alertmanager does before truncation.
    commonLabels: commonPairs(group.alerts.map((a) => a.labels)),
    commonAnnotations: commonPairs(group.alerts.map((a) => a.annotations)),
    externalURL: group.externalURL,
    alerts: kept.map((a) => ({
      status: a.status,
      labels: { ...a.labels },
      annotations: { ...a.annotations },
      startsAt: a.startsAt,
      endsAt: a.endsAt ?? zeroTime,
      generatorURL: a.generatorURL ?? "",
      fingerprint: a.fingerprint,
    })),
  };
}

export interface GridpulseWebhookPayload {
  /** `alert.firing` or `alert.resolved` (the group's status). */
  type: `alert.${AlertStatus}`;
  /** RFC 3339 time the notification was created. */
  timestamp: string;
  data: {
    groupKey: string;
    receiver: string;
    status: AlertStatus;
    groupLabels: Record<string, string>;
    alerts: {
      fingerprint: string;
      status: AlertStatus;
      severity?: string;
      labels: Record<string, string>;
      annotations: Record<string, string>;
      startsAt: string;
      endsAt?: string;
      generatorURL?: string;
    }[];
    externalURL: string;
  };
}

export function gridpulsePayload(
  group: NotificationGroup,
  createdAtMs: number,
): GridpulseWebhookPayload {
  const status = groupStatus(group.alerts);
  return {
    type: `alert.${status}`,
    timestamp: new Date(createdAtMs).toISOString(),
    data: {
      groupKey: group.groupKey,
      receiver: group.receiver,
      status,
      groupLabels: { ...group.groupLabels },
      alerts: group.alerts.map((a) => ({
        fingerprint: a.fingerprint,
        status: a.status,
        ...(a.labels.severity ? { severity: a.labels.severity } : {}),
        labels: { ...a.labels },
        annotations: { ...a.annotations },
        startsAt: a.startsAt,
        ...(a.endsAt ? { endsAt: a.endsAt } : {}),
        ...(a.generatorURL ? { generatorURL: a.generatorURL } : {}),
      })),
      externalURL: group.externalURL,
    },
  };
}

/** The JSON body to sign and send, in the endpoint's chosen format. */
export function webhookBody(
  format: WebhookPayloadFormat,
  group: NotificationGroup,
  createdAtMs: number,
  options: { maxAlerts?: number } = {},
): string {
  return JSON.stringify(
    format === "alertmanager"
      ? alertmanagerPayload(group, options)
      : gridpulsePayload(group, createdAtMs),
  );
}

/** A one-alert group for an endpoint's test-send: clearly labelled, never confused with a real alert. */
export function testNotificationGroup(
  receiver: string,
  nowMs: number,
  externalURL: string,
): NotificationGroup {
  const startsAt = new Date(nowMs).toISOString();
  return {
    groupKey: `test:${receiver}`,
    receiver,
    groupLabels: { alertname: "GridpulseTestNotification" },
    externalURL,
    alerts: [
      {
        fingerprint: `test-${nowMs.toString(36)}`,
        status: "firing",
        labels: { alertname: "GridpulseTestNotification", severity: "info", test: "true" },
        annotations: { summary: "Test notification from gridpulse; no action needed." },
        startsAt,
      },
    ],
  };
}
