/**
 * The webhook channel's SQL: endpoints as targets, the tenant's other targets for owner notices, the
 * disabled-endpoint count, and the statements an attempt's settlement adds to its transaction
 * (failing since, healthy again, disablement with its cancellations and owner notices).
 */
import type { Client, InStatement } from "@libsql/client";
import {
  type OutboxChannel,
  type OutboxPayload,
  outboxRowId,
} from "../../../../core/notify/outbox-payload.ts";
import type { EndpointSecret } from "../../../../core/notify/standard-webhooks.ts";
import { type OutboxInsert, outboxInsertStatement } from "../../outbox-rows.ts";
import type { ClaimedRow } from "../../outbox-store.ts";

export interface EndpointTarget {
  id: string;
  tenantId: string;
  url: string;
  format: string;
  secrets: EndpointSecret[];
  disabledAtMs: number | null;
  failingSinceMs: number | null;
}

export interface EndpointDisable {
  endpointId: string;
  failingSinceMs: number | null;
  disabledAtMs: number;
  reason: string;
  /** Owner notices, inserted only if this very transaction disabled the endpoint. */
  notices: OutboxInsert[];
}

const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/**
 * The stored secrets (`WebhookSecret[]`, `expiresAtMs: null` while current) as the signer takes them
 * (a null expiry, the current secret, becomes absent).
 */
export function parseSecrets(stored: unknown): EndpointSecret[] {
  let list: unknown;
  try {
    list = typeof stored === "string" ? JSON.parse(stored) : stored;
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  return list.flatMap((s: { secret?: unknown; expiresAtMs?: unknown }) =>
    typeof s?.secret === "string"
      ? [
          typeof s.expiresAtMs === "number"
            ? { secret: s.secret, expiresAtMs: s.expiresAtMs }
            : { secret: s.secret },
        ]
      : [],
  );
}

export function createWebhookStore(client: Client) {
  return {
    async endpoint(id: string): Promise<EndpointTarget | undefined> {
      const rs = await client.execute({
        sql: "SELECT id, tenant_id, url, format, secrets, disabled_at_ms, failing_since_ms FROM webhook_endpoints WHERE id = ?",
        args: [id],
      });
      const r = rs.rows[0];
      if (!r) return undefined;
      return {
        id: r.id as string,
        tenantId: r.tenant_id as string,
        url: r.url as string,
        format: r.format as string,
        secrets: parseSecrets(r.secrets),
        disabledAtMs: numOrNull(r.disabled_at_ms),
        failingSinceMs: numOrNull(r.failing_since_ms),
      };
    },

    /**
     * Who else of the tenant hears of a disabled endpoint: its other enabled endpoints and the
     * subscriptions registered with API keys.
     */
    async ownerTargets(tenantId: string, exceptEndpointId: string) {
      const [endpoints, subscriptions] = await client.batch(
        [
          {
            sql: "SELECT id FROM webhook_endpoints WHERE tenant_id = ? AND id <> ? AND disabled_at_ms IS NULL",
            args: [tenantId, exceptEndpointId],
          },
          // Subscribers (subscriber tokens) hear of alerts only, not of the tenant's endpoints.
          {
            sql: "SELECT id FROM push_subscriptions WHERE tenant_id = ? AND subscriber_token_id IS NULL",
            args: [tenantId],
          },
        ],
        "read",
      );
      return {
        endpointIds: (endpoints?.rows ?? []).map((r) => r.id as string),
        subscriptionIds: (subscriptions?.rows ?? []).map((r) => r.id as string),
      };
    },

    async disabledCount(): Promise<number> {
      const rs = await client.execute(
        "SELECT count(*) AS n FROM webhook_endpoints WHERE disabled_at_ms IS NOT NULL",
      );
      return Number(rs.rows[0]?.n ?? 0);
    },
  };
}

export type WebhookStore = ReturnType<typeof createWebhookStore>;

/** The endpoint succeeded again: its failing run is over. */
export const healthyStatements = (endpointId: string): InStatement[] => [
  {
    sql: "UPDATE webhook_endpoints SET failing_since_ms = NULL WHERE id = ? AND failing_since_ms IS NOT NULL",
    args: [endpointId],
  },
];

/** Stores the start of the failing run unless one is stored already. */
export const failingStatements = (endpointId: string, failingSinceMs: number): InStatement[] => [
  {
    sql: "UPDATE webhook_endpoints SET failing_since_ms = ? WHERE id = ? AND failing_since_ms IS NULL",
    args: [failingSinceMs, endpointId],
  },
];

/**
 * Disables the endpoint; the statements after the first act only if the first disabled it at our
 * time: a concurrent attempt that disabled it first already cancelled and notified.
 */
export function disableStatements(row: ClaimedRow, target: EndpointDisable): InStatement[] {
  const ours = {
    sql: "EXISTS (SELECT 1 FROM webhook_endpoints WHERE id = ? AND disabled_at_ms = ? AND disabled_reason = ?)",
    args: [target.endpointId, target.disabledAtMs, target.reason],
  };
  return [
    {
      sql: "UPDATE webhook_endpoints SET disabled_at_ms = ?, disabled_reason = ?, failing_since_ms = coalesce(failing_since_ms, ?), updated_at_ms = ? WHERE id = ? AND disabled_at_ms IS NULL",
      args: [
        target.disabledAtMs,
        target.reason,
        target.failingSinceMs,
        target.disabledAtMs,
        target.endpointId,
      ],
    },
    {
      sql: `UPDATE outbox SET status = 'cancelled', last_error = 'endpoint disabled' WHERE channel = ? AND target_id = ? AND status = 'pending' AND id <> ? AND ${ours.sql}`,
      args: [row.channel, target.endpointId, row.id, ...ours.args],
    },
    ...target.notices.map((n) => outboxInsertStatement(n, "endpoint_disabled", ours)),
  ];
}

/** Owner notices for a disabled endpoint: one row per other enabled endpoint and per subscription. */
export function disabledNotices(
  args: {
    tenantId: string;
    endpointId: string;
    url: string;
    reason: string;
    disabledAtMs: number;
  },
  targets: { endpointIds: string[]; subscriptionIds: string[] },
): OutboxInsert[] {
  const idempotencyKey = `endpoint_disabled:${args.endpointId}:${args.disabledAtMs}`;
  const payload: OutboxPayload = {
    type: "endpoint_disabled",
    endpointId: args.endpointId,
    url: args.url,
    reason: args.reason,
    disabledAtMs: args.disabledAtMs,
  };
  const row = (channel: OutboxChannel, targetId: string): OutboxInsert => ({
    id: outboxRowId(channel, targetId, idempotencyKey),
    tenantId: args.tenantId,
    channel,
    targetId,
    idempotencyKey,
    payload,
    nextAttemptAtMs: args.disabledAtMs,
    createdAtMs: args.disabledAtMs,
  });
  return [
    ...targets.endpointIds.map((id) => row("webhook", id)),
    ...targets.subscriptionIds.map((id) => row("push", id)),
  ];
}
