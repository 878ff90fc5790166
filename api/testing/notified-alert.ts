/**
 * Tests: an alert row as the evaluator leaves it and a push message listing it, written for one push
 * subscription, as the subscriber routes and page read them (`GET /v1/subscriber/alerts/{fp}`).
 */
import type { AlertState } from "../../core/alerts/evaluate.ts";
import type { Notification } from "../../core/alerts/plan.ts";
import type { Database } from "../../core/db/database.ts";
import { alerts, outbox } from "../../core/db/schema/index.ts";
import { outboxRowId } from "../../core/notify/outbox-payload.ts";

export interface NotifiedAlert {
  tenantId: string;
  fingerprint: string;
  subscriptionId: string;
  nowMs: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** The push message was delivered already (default: pending). */
  delivered?: boolean;
}

export async function insertNotifiedAlert(db: Database, a: NotifiedAlert): Promise<void> {
  const { tenantId, fingerprint, subscriptionId, nowMs } = a;
  const state: AlertState = {
    fingerprint,
    ruleId: "rul_0000000000000000",
    status: "firing",
    labels: a.labels ?? { alertname: "burn", severity: "page" },
    annotations: a.annotations ?? { summary: "burning" },
    value: 14.4,
    activeAtMs: nowMs - 60_000,
    firedAtMs: nowMs - 30_000,
    resolvedAtMs: null,
    keepFiringSinceMs: null,
    edge: false,
    acknowledgedAtMs: null,
    acknowledgedBy: null,
  };
  await db.insert(alerts).values({
    id: fingerprint,
    tenantId,
    ruleId: state.ruleId,
    status: "firing",
    state,
    acknowledgedAtMs: null,
    acknowledgedBy: null,
    updatedAtMs: nowMs,
  });
  const notification = {
    idempotencyKey: `n-${fingerprint}`,
    groupKey: "g",
    routeId: "default",
    sequence: 1,
    atMs: nowMs,
    status: "firing",
    reasons: ["firing"],
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    alerts: [
      {
        fingerprint,
        ruleId: state.ruleId,
        status: "firing",
        labels: state.labels,
        annotations: state.annotations,
        value: 14.4,
        startsAtMs: nowMs,
        endsAtMs: null,
        acknowledged: false,
      },
    ],
  } satisfies Notification;
  await db.insert(outbox).values({
    id: outboxRowId("push", subscriptionId, notification.idempotencyKey),
    tenantId,
    channel: "push",
    targetId: subscriptionId,
    idempotencyKey: notification.idempotencyKey,
    trigger: "alert",
    payload: { type: "alert", notification },
    status: a.delivered ? "delivered" : "pending",
    attempts: a.delivered ? 1 : 0,
    nextAttemptAtMs: nowMs,
    createdAtMs: nowMs,
  });
}
