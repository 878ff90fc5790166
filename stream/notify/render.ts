/**
 * What the dispatcher sends for an outbox row, rendered from the stored row alone (payload, creation
 * time, target), so every retry sends the same bytes: the webhook body in the endpoint's format, or
 * the push payload with its urgency and topic. Pure; a payload that is not the outbox contract's shape
 * throws OutboxPayloadError (the row then fails as `invalid` instead of stalling the outbox).
 */
import type { Notification } from "../../core/alerts/plan.ts";
import {
  notificationGroupOf,
  type OutboxPayload,
  pushMessageOf,
  pushUrgencyOf,
} from "../../core/notify/outbox-payload.ts";
import {
  type NotificationGroup,
  testNotificationGroup,
  type WebhookPayloadFormat,
  webhookBody,
  webhookPayloadFormats,
} from "../../core/notify/payloads.ts";
import {
  type PushAlertMessage,
  type PushUrgency,
  pushPayload,
} from "../../core/notify/push-message.ts";

export class OutboxPayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OutboxPayloadError";
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function checkNotification(n: unknown): Notification {
  if (!isRecord(n)) throw new OutboxPayloadError("alert payload has no notification");
  if (typeof n.groupKey !== "string" || !Array.isArray(n.alerts) || !isRecord(n.groupLabels))
    throw new OutboxPayloadError("notification lacks groupKey, groupLabels or alerts");
  if (typeof n.atMs !== "number" || (n.status !== "firing" && n.status !== "resolved"))
    throw new OutboxPayloadError("notification lacks atMs or status");
  for (const a of n.alerts) {
    if (
      !isRecord(a) ||
      typeof a.fingerprint !== "string" ||
      !isRecord(a.labels) ||
      !isRecord(a.annotations) ||
      typeof a.startsAtMs !== "number"
    )
      throw new OutboxPayloadError("notification has a malformed alert");
  }
  if (!isRecord(n.commonLabels)) throw new OutboxPayloadError("notification lacks commonLabels");
  return n as unknown as Notification;
}

/** The stored payload (JSON text or already parsed) checked against the outbox contract. */
const traceparentPattern = /^00-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;

export function parseOutboxPayload(stored: unknown): OutboxPayload {
  let value = stored;
  if (typeof stored === "string") {
    try {
      value = JSON.parse(stored);
    } catch {
      throw new OutboxPayloadError("payload is not JSON");
    }
  }
  if (!isRecord(value)) throw new OutboxPayloadError("payload is not an object");
  switch (value.type) {
    case "alert": {
      const notification = checkNotification(value.notification);
      // A malformed trace context is dropped, never a reason to fail the delivery.
      return typeof value.traceparent === "string" && traceparentPattern.test(value.traceparent)
        ? { type: "alert", notification, traceparent: value.traceparent }
        : { type: "alert", notification };
    }
    case "test":
      return { type: "test" };
    case "endpoint_disabled": {
      const { endpointId, url, reason, disabledAtMs } = value;
      if (
        typeof endpointId !== "string" ||
        typeof url !== "string" ||
        typeof reason !== "string" ||
        typeof disabledAtMs !== "number"
      )
        throw new OutboxPayloadError(
          "endpoint_disabled payload lacks endpointId, url, reason or disabledAtMs",
        );
      return { type: "endpoint_disabled", endpointId, url, reason, disabledAtMs };
    }
    default:
      throw new OutboxPayloadError(
        `unknown payload type ${JSON.stringify(String(value.type)).slice(0, 40)}`,
      );
  }
}

type DisabledNotice = Extract<OutboxPayload, { type: "endpoint_disabled" }>;

const disabledAlertName = "GridpulseWebhookEndpointDisabled";
const disabledSummary = (p: DisabledNotice) =>
  `Webhook endpoint ${p.endpointId} (${p.url}) was disabled: ${p.reason}. Fix it and re-enable it.`;

/** A one-alert info group telling the owner that one of its webhook endpoints was disabled. */
export function endpointDisabledGroup(
  notice: DisabledNotice,
  receiver: string,
  externalURL: string,
): NotificationGroup {
  return {
    groupKey: `endpoint_disabled:${notice.endpointId}`,
    receiver,
    groupLabels: { alertname: disabledAlertName },
    externalURL,
    alerts: [
      {
        fingerprint: `endpoint-disabled-${notice.endpointId}-${notice.disabledAtMs.toString(36)}`,
        status: "firing",
        labels: { alertname: disabledAlertName, severity: "info", endpoint_id: notice.endpointId },
        annotations: { summary: disabledSummary(notice), reason: notice.reason },
        startsAt: new Date(notice.disabledAtMs).toISOString(),
        generatorURL: `${externalURL}/v1/webhooks/${notice.endpointId}`,
      },
    ],
  };
}

export const isWebhookFormat = (format: string): format is WebhookPayloadFormat =>
  (webhookPayloadFormats as readonly string[]).includes(format);

/** The JSON body for a webhook endpoint (`receiver` = its id), in its chosen format. */
export function renderWebhookBody(
  payload: OutboxPayload,
  endpoint: { id: string; format: string },
  createdAtMs: number,
  externalURL: string,
): string {
  if (!isWebhookFormat(endpoint.format))
    throw new OutboxPayloadError(`endpoint format ${JSON.stringify(endpoint.format)} is unknown`);
  const group =
    payload.type === "alert"
      ? notificationGroupOf(payload.notification, endpoint.id, externalURL)
      : payload.type === "test"
        ? testNotificationGroup(endpoint.id, createdAtMs, externalURL)
        : endpointDisabledGroup(payload, endpoint.id, externalURL);
  return webhookBody(endpoint.format, group, createdAtMs);
}

export interface RenderedPush {
  /** Plaintext JSON, at most 3993 bytes. */
  payload: string;
  urgency: PushUrgency;
  /** What the Topic is derived from (pushTopicFor): repeats of the same thing replace each other. */
  topicKey: string;
}

/** The push message for a subscription (`subscriptionId` names the test topic). */
export function renderPush(
  payload: OutboxPayload,
  subscriptionId: string,
  createdAtMs: number,
  externalURL: string,
): RenderedPush {
  if (payload.type === "alert") {
    return {
      payload: pushPayload(pushMessageOf(payload.notification, externalURL)),
      urgency: pushUrgencyOf(payload.notification),
      topicKey: payload.notification.groupKey,
    };
  }
  const ts = new Date(createdAtMs).toISOString();
  const message: PushAlertMessage =
    payload.type === "test"
      ? {
          title: "gridpulse test notification",
          body: "Test notification from gridpulse; no action needed.",
          status: "firing",
          severity: "info",
          fingerprint: `test:${subscriptionId}`,
          url: `${externalURL}/v1/push/subscriptions/${subscriptionId}`,
          ts,
        }
      : {
          title: "Webhook endpoint disabled",
          body: disabledSummary(payload),
          status: "firing",
          severity: "info",
          fingerprint: `endpoint_disabled:${payload.endpointId}`,
          url: `${externalURL}/v1/webhooks/${payload.endpointId}`,
          ts,
        };
  return { payload: pushPayload(message), urgency: "low", topicKey: message.fingerprint };
}

/** What an owner notice may say about a URL: its origin only (paths and queries often hold tokens). */
export function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid URL)";
  }
}
