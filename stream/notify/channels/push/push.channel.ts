/**
 * The Web Push channel: encrypted messages (RFC 8291) with VAPID (RFC 8292) to browser push
 * subscriptions. A row of a gone subscription is cancelled unsent; TTL is what is left of
 * NOTIFY_PUSH_TTL_S since the row was created (all of it on a first attempt, less on each retry) and
 * retries stop once it has passed (the service would drop the message anyway); a 404 or
 * 410 deletes the subscription and cancels its pending rows. VAPID keys come from VAPID_* or are
 * generated once into the database (`vapid_keys`).
 */
import type { InStatement } from "@libsql/client";
import { attemptOutcomes } from "../../../../core/notify/outcome.ts";
import { pushTopicFor } from "../../../../core/notify/push-message.ts";
import { defaultPushRetryPolicy } from "../../../../core/notify/retry.ts";
import { type RenderedPush, renderPush } from "../../render.ts";
import { createOutboundGuard } from "../../ssrf.ts";
import type { ChannelModule, NotifyChannel } from "../channel.ts";
import { createPushSender } from "./push-sender.ts";
import { databaseVapidKeyStore } from "./vapid-key-store.ts";
import { loadVapidKeys } from "./vapid-keys.ts";

export interface SubscriptionTarget {
  id: string;
  tenantId: string;
  endpoint: string;
  p256dh: string;
  auth: string;
}

/** The subscription is gone for good: delete it and cancel its other pending rows. */
const deleteStatements = (
  channel: string,
  subscriptionId: string,
  rowId: string,
): InStatement[] => [
  { sql: "DELETE FROM push_subscriptions WHERE id = ?", args: [subscriptionId] },
  {
    sql: "UPDATE outbox SET status = 'cancelled', last_error = 'subscription gone' WHERE channel = ? AND target_id = ? AND status = 'pending' AND id <> ?",
    args: [channel, subscriptionId, rowId],
  },
];

/**
 * The TTL header of an attempt: RFC 8030 §5.2 counts it from when the push service receives the
 * message, so a retry sends what is left of `ttlS` since the row was created (whole seconds elapsed),
 * not all of it again; the channel gives up at creation + `ttlS` (`retry` below).
 */
export const remainingTtlS = (ttlS: number, createdAtMs: number, nowMs: number): number =>
  Math.max(0, ttlS - Math.max(0, Math.floor((nowMs - createdAtMs) / 1000)));

export const pushChannel: ChannelModule = {
  async create({ client, config, metrics, agents, clock, resolve }) {
    const vapid = await loadVapidKeys({
      configured: {
        ...(config.VAPID_PUBLIC_KEY ? { publicKey: config.VAPID_PUBLIC_KEY } : {}),
        ...(config.VAPID_PRIVATE_KEY ? { privateKey: config.VAPID_PRIVATE_KEY } : {}),
      },
      store: databaseVapidKeyStore(client),
    });
    const sender = createPushSender({
      vapid,
      subject: config.VAPID_SUBJECT,
      guard: createOutboundGuard({
        allowlist: config.NOTIFY_OUTBOUND_ALLOWLIST,
        ...(resolve ? { resolve } : {}),
        protocols: ["https:"],
      }),
      extraPushHosts: config.NOTIFY_PUSH_HOSTS,
      deadlineMs: config.NOTIFY_PUSH_DEADLINE_MS,
      excerptBytes: config.NOTIFY_RESPONSE_EXCERPT_BYTES,
      metrics,
      agents,
      clock,
    });
    const policy = {
      ...defaultPushRetryPolicy,
      scheduleMs: config.NOTIFY_RETRY_SCHEDULE,
      jitterRatio: config.NOTIFY_RETRY_JITTER,
    };
    const ttlS = config.NOTIFY_PUSH_TTL_S;
    const externalURL = config.NOTIFY_EXTERNAL_URL;

    const channel: NotifyChannel<SubscriptionTarget, RenderedPush> = {
      outcomes: attemptOutcomes.filter((o) => o !== "disable_endpoint"),
      async load(id) {
        const rs = await client.execute({
          sql: "SELECT id, tenant_id, endpoint, p256dh, auth FROM push_subscriptions WHERE id = ?",
          args: [id],
        });
        const r = rs.rows[0];
        if (!r) return undefined;
        return {
          id: r.id as string,
          tenantId: r.tenant_id as string,
          endpoint: r.endpoint as string,
          p256dh: r.p256dh as string,
          auth: r.auth as string,
        };
      },
      refuse: (row, sub) =>
        !sub || sub.tenantId !== row.tenantId ? "subscription gone" : undefined,
      render: (payload, sub, row) => renderPush(payload, sub.id, row.createdAtMs, externalURL),
      send: async (sub, rendered, row) =>
        sender.send(
          { endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } },
          {
            id: row.idempotencyKey,
            payload: rendered.payload,
            ttlS: remainingTtlS(ttlS, row.createdAtMs, clock()),
            urgency: rendered.urgency,
            topic: await pushTopicFor(rendered.topicKey),
            createdAtMs: row.createdAtMs,
          },
        ),
      // The push service keeps a message for its TTL: past that a retry would deliver stale news.
      retry: (row) => ({ policy, expiresAtMs: row.createdAtMs + ttlS * 1000 }),
      async settle({ row, target: sub, attempt, step }) {
        if (attempt.outcome !== "delete_subscription")
          return { step, statements: [], forgetTarget: false };
        return {
          step,
          statements: deleteStatements(row.channel, sub.id, row.id),
          forgetTarget: true,
        };
      },
      close: () => sender.close(),
    };
    return channel;
  },
};
