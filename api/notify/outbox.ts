/**
 * What the API writes to the notification outbox (core/notify/outbox-payload.ts): test-sends, and
 * replays of failed or cancelled messages; and the pages of messages and delivery attempts it reads.
 * All through the tenant scope. The dispatcher picks pending rows whose `nextAttemptAtMs` has come.
 */
import { and, eq, gte, inArray, type SQL, sql } from "drizzle-orm";
import { newId } from "../../core/auth/ids.ts";
import type { EventCursor, KeysetPage } from "../../core/db/keyset.ts";
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
import { keysetList } from "../conventions/pagination.ts";
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

/** One target's rows of `table`, newest first: prepared per filter shape (placeholders bound per page). */
const targetFilter = (table: typeof outbox | typeof deliveryAttempts, extra?: SQL) =>
  and(
    eq(table.channel, sql.placeholder("channel")),
    eq(table.targetId, sql.placeholder("targetId")),
    extra,
  ) as SQL;
const allMessages = keysetList(outbox, outbox.createdAtMs, { where: targetFilter(outbox) });
const messagesByStatus = keysetList(outbox, outbox.createdAtMs, {
  where: targetFilter(outbox, eq(outbox.status, sql.placeholder("status"))),
});
const allAttempts = keysetList(deliveryAttempts, deliveryAttempts.atMs, {
  where: targetFilter(deliveryAttempts),
  timeKey: "atMs",
});
const attemptsOfMessage = keysetList(deliveryAttempts, deliveryAttempts.atMs, {
  where: targetFilter(deliveryAttempts, eq(deliveryAttempts.outboxId, sql.placeholder("outboxId"))),
  timeKey: "atMs",
});

export function listMessages(
  tenant: TenantScope,
  channel: OutboxChannel,
  targetId: string,
  query: { status?: string | undefined; limit: number; after?: EventCursor | undefined },
): Promise<KeysetPage<OutboxRow>> {
  const page = { limit: query.limit, cursor: query.after };
  return query.status
    ? messagesByStatus(tenant, page, { channel, targetId, status: query.status })
    : allMessages(tenant, page, { channel, targetId });
}

export function listAttempts(
  tenant: TenantScope,
  channel: OutboxChannel,
  targetId: string,
  query: { messageId?: string | undefined; limit: number; after?: EventCursor | undefined },
): Promise<KeysetPage<DeliveryAttemptRow>> {
  const page = { limit: query.limit, cursor: query.after };
  return query.messageId
    ? attemptsOfMessage(tenant, page, { channel, targetId, outboxId: query.messageId })
    : allAttempts(tenant, page, { channel, targetId });
}
