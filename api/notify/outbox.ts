/**
 * What the API writes to the notification outbox (core/notify/outbox-payload.ts): test-sends, and
 * replays of failed or cancelled messages; and the pages of messages and delivery attempts it reads.
 * All through the tenant scope. The dispatcher picks pending rows whose `nextAttemptAtMs` has come.
 */
import { and, desc, eq, gte, inArray, type SQL } from "drizzle-orm";
import { newId } from "../../core/auth/ids.ts";
import { type EventCursor, type KeysetPage, keysetPage, olderThan } from "../../core/db/keyset.ts";
import {
  type DeliveryAttemptRow,
  deliveryAttempts,
  type OutboxRow,
  outbox,
} from "../../core/db/schema/index.ts";
import {
  type OutboxChannel,
  type OutboxPayload,
  outboxRowId,
} from "../../core/notify/outbox-payload.ts";
import type { TenantScope } from "../tenancy/tenant-scope.ts";

/** A test message to one target, due now, with a new idempotency key (its `webhook-id`). */
export async function enqueueTestSend(
  tenant: TenantScope,
  channel: OutboxChannel,
  targetId: string,
  nowMs: number,
): Promise<OutboxRow> {
  const idempotencyKey = newId("msg");
  const payload: OutboxPayload = { type: "test" };
  return tenant.insert(outbox, {
    id: outboxRowId(channel, targetId, idempotencyKey),
    channel,
    targetId,
    idempotencyKey,
    trigger: "test",
    payload,
    status: "pending",
    attempts: 0,
    nextAttemptAtMs: nowMs,
    createdAtMs: nowMs,
    deliveredAtMs: null,
    lastError: null,
  });
}

export const replayableStatuses = ["failed", "cancelled"] as const;

/**
 * Failed or cancelled messages of a target back to pending, due now, attempts reset, trigger
 * `replay`; the idempotency key stays (receivers deduplicate). Narrowed by ids and/or creation time.
 */
export async function replayMessages(
  tenant: TenantScope,
  channel: OutboxChannel,
  targetId: string,
  filter: { messageIds?: readonly string[] | undefined; sinceMs?: number | undefined },
  nowMs: number,
): Promise<OutboxRow[]> {
  return tenant.updateWhere(
    outbox,
    and(
      eq(outbox.channel, channel),
      eq(outbox.targetId, targetId),
      inArray(outbox.status, [...replayableStatuses]),
      filter.messageIds ? inArray(outbox.id, [...filter.messageIds]) : undefined,
      filter.sinceMs !== undefined ? gte(outbox.createdAtMs, filter.sinceMs) : undefined,
    ) as SQL,
    {
      status: "pending",
      attempts: 0,
      nextAttemptAtMs: nowMs,
      trigger: "replay",
      deliveredAtMs: null,
      lastError: null,
    },
  );
}

/** Pending messages of a target that will not be sent (the target was deleted). */
export function cancelPending(
  tenant: TenantScope,
  channel: OutboxChannel,
  targetId: string,
  reason: string,
) {
  return tenant.updateWhere(
    outbox,
    and(
      eq(outbox.channel, channel),
      eq(outbox.targetId, targetId),
      eq(outbox.status, "pending"),
    ) as SQL,
    { status: "cancelled", lastError: reason },
  );
}

export async function listMessages(
  tenant: TenantScope,
  channel: OutboxChannel,
  targetId: string,
  query: { status?: string | undefined; limit: number; after?: EventCursor | undefined },
): Promise<KeysetPage<OutboxRow>> {
  const rows = await tenant.list(outbox, {
    where: and(
      eq(outbox.channel, channel),
      eq(outbox.targetId, targetId),
      query.status ? eq(outbox.status, query.status) : undefined,
      olderThan(outbox.createdAtMs, outbox.id, query.after),
    ) as SQL,
    orderBy: [desc(outbox.createdAtMs), desc(outbox.id)],
    limit: query.limit + 1,
  });
  return keysetPage(rows, query.limit, (r) => ({ tsMs: r.createdAtMs, id: r.id }));
}

export async function listAttempts(
  tenant: TenantScope,
  channel: OutboxChannel,
  targetId: string,
  query: { messageId?: string | undefined; limit: number; after?: EventCursor | undefined },
): Promise<KeysetPage<DeliveryAttemptRow>> {
  const rows = await tenant.list(deliveryAttempts, {
    where: and(
      eq(deliveryAttempts.channel, channel),
      eq(deliveryAttempts.targetId, targetId),
      query.messageId ? eq(deliveryAttempts.outboxId, query.messageId) : undefined,
      olderThan(deliveryAttempts.atMs, deliveryAttempts.id, query.after),
    ) as SQL,
    orderBy: [desc(deliveryAttempts.atMs), desc(deliveryAttempts.id)],
    limit: query.limit + 1,
  });
  return keysetPage(rows, query.limit, (r) => ({ tsMs: r.atMs, id: r.id }));
}
