/**
 * Fixtures of the dispatcher suites: a migrated libSQL file with a tenant, webhook endpoints, push
 * subscriptions and outbox rows written as the alert evaluator and the API write them.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import type { Notification } from "../../core/alerts/plan.ts";
import { libsqlClient } from "../../core/db/database.ts";
import {
  deliveryAttempts,
  outbox,
  pushSubscriptions,
  tenants,
  webhookEndpoints,
} from "../../core/db/schema/index.ts";
import type { WebhookSecret } from "../../core/db/schema/notifications.ts";
import {
  type OutboxChannel,
  type OutboxPayload,
  type OutboxTrigger,
  outboxRowId,
} from "../../core/notify/outbox-payload.ts";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { type OpenDatabase, openDatabase } from "../../platform/db/open.ts";
import { outboxInsertStatement } from "../../stream/notify/outbox-rows.ts";

export interface TestDatabase extends OpenDatabase {
  url: string;
}

export async function testDatabase(): Promise<TestDatabase> {
  const url = `file:${join(mkdtempSync(join(tmpdir(), "gridpulse-dispatch-")), "d.db")}`;
  const opened = await openDatabase({ url });
  await applyMigrations(opened.db);
  return { ...opened, url };
}

export async function addTenant(t: TestDatabase, id = `t_${randomUUID().slice(0, 8)}`) {
  await t.db.insert(tenants).values({ id, name: id, createdAtMs: Date.now() });
  return id;
}

export async function addEndpoint(
  t: TestDatabase,
  tenantId: string,
  url: string,
  secrets: WebhookSecret[],
  options: { format?: "gridpulse" | "alertmanager"; id?: string } = {},
) {
  const id = options.id ?? `wh_${randomUUID().slice(0, 8)}`;
  const now = Date.now();
  await t.db.insert(webhookEndpoints).values({
    id,
    tenantId,
    url,
    format: options.format ?? "gridpulse",
    secrets,
    createdAtMs: now,
    updatedAtMs: now,
  });
  return id;
}

export async function addSubscription(
  t: TestDatabase,
  tenantId: string,
  endpoint: string,
  keys: { p256dh: string; auth: string },
) {
  const id = `ps_${randomUUID().slice(0, 8)}`;
  await t.db.insert(pushSubscriptions).values({
    id,
    tenantId,
    endpoint,
    p256dh: keys.p256dh,
    auth: keys.auth,
    filters: {},
    createdAtMs: Date.now(),
  });
  return id;
}

export function sampleNotification(n: number, severity = "page"): Notification {
  const at = Date.now();
  return {
    idempotencyKey: `ntf_${n}`,
    groupKey: `group-${n}`,
    routeId: "default",
    sequence: 1,
    atMs: at,
    status: "firing",
    reasons: ["firing"],
    groupLabels: { alertname: "SloBurn" },
    commonLabels: { alertname: "SloBurn", severity },
    commonAnnotations: {},
    alerts: [
      {
        fingerprint: `fp-${n}`,
        ruleId: "r1",
        status: "firing",
        labels: { alertname: "SloBurn", severity, slo_id: "checkout" },
        annotations: { summary: `checkout burning (${n})` },
        value: 14,
        startsAtMs: at - 60_000,
        endsAtMs: null,
        acknowledged: false,
      },
    ],
  };
}

/** Outbox rows as the evaluator writes them (one per notification and target), in batches. */
export async function addOutboxRows(
  t: TestDatabase,
  rows: {
    tenantId: string;
    channel: OutboxChannel;
    targetId: string;
    idempotencyKey: string;
    payload: OutboxPayload;
    trigger?: OutboxTrigger;
    nextAttemptAtMs?: number;
  }[],
) {
  const client = libsqlClient(t.db);
  const now = Date.now();
  for (let i = 0; i < rows.length; i += 500) {
    await client.batch(
      rows.slice(i, i + 500).map((r) =>
        outboxInsertStatement(
          {
            id: outboxRowId(r.channel, r.targetId, r.idempotencyKey),
            tenantId: r.tenantId,
            channel: r.channel,
            targetId: r.targetId,
            idempotencyKey: r.idempotencyKey,
            payload: r.payload,
            nextAttemptAtMs: r.nextAttemptAtMs ?? now,
            createdAtMs: now,
          },
          r.trigger ?? "alert",
        ),
      ),
      "write",
    );
  }
}

export async function outboxRows(t: TestDatabase) {
  return t.db.select().from(outbox).all();
}

export async function attemptsOf(t: TestDatabase, outboxId?: string) {
  return outboxId
    ? t.db.select().from(deliveryAttempts).where(eq(deliveryAttempts.outboxId, outboxId)).all()
    : t.db.select().from(deliveryAttempts).all();
}

export async function endpointRow(t: TestDatabase, id: string) {
  return t.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).get();
}

export async function statusCounts(t: TestDatabase): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const r of await outboxRows(t)) out[r.status] = (out[r.status] ?? 0) + 1;
  return out;
}
