/**
 * The webhook channel: Standard Webhooks signed POSTs to a tenant's endpoints. A row of a deleted or
 * disabled endpoint is cancelled unsent; the body is rendered in the endpoint's format from the
 * stored payload; every attempt runs in a `gridpulse.notify.webhook` span. Failures keep the
 * endpoint's `failing_since_ms`; a 410, or only failures for NOTIFY_ENDPOINT_DISABLE_AFTER_*, disables
 * it: its pending rows are cancelled and the tenant's other targets get an owner notice.
 */
import { endpointAfterAttempt } from "../../../../core/notify/endpoint-health.ts";
import { attemptOutcomes } from "../../../../core/notify/outcome.ts";
import { defaultWebhookRetryPolicy, type NextStep } from "../../../../core/notify/retry.ts";
import { disableAfterMs } from "../../config.ts";
import { renderWebhookBody, safeOrigin } from "../../render.ts";
import { createOutboundGuard } from "../../ssrf.ts";
import type { ChannelModule, NotifyChannel, Settlement } from "../channel.ts";
import { withWebhookAttemptSpan } from "./attempt-span.ts";
import {
  createWebhookStore,
  disabledNotices,
  disableStatements,
  type EndpointTarget,
  failingStatements,
  healthyStatements,
} from "./webhook.store.ts";
import { createWebhookSender } from "./webhook-sender.ts";

export const webhookChannel: ChannelModule = {
  async create({ client, config, metrics, logger, agents, clock, resolve }) {
    const sender = createWebhookSender({
      guard: createOutboundGuard({
        allowlist: config.NOTIFY_OUTBOUND_ALLOWLIST,
        ...(resolve ? { resolve } : {}),
      }),
      deadlineMs: config.NOTIFY_WEBHOOK_DEADLINE_MS,
      excerptBytes: config.NOTIFY_RESPONSE_EXCERPT_BYTES,
      metrics,
      agents,
      clock,
    });
    const store = createWebhookStore(client);
    const policy = {
      ...defaultWebhookRetryPolicy,
      scheduleMs: config.NOTIFY_RETRY_SCHEDULE,
      jitterRatio: config.NOTIFY_RETRY_JITTER,
    };
    const disableAfter = disableAfterMs(config);
    const externalURL = config.NOTIFY_EXTERNAL_URL;
    /** Endpoints this process stored a failure for since its last stored success. */
    const mayBeFailing = new Set<string>();

    const channel: NotifyChannel<EndpointTarget, string> = {
      outcomes: attemptOutcomes.filter((o) => o !== "delete_subscription"),
      load: (id) => store.endpoint(id),
      refuse(row, endpoint) {
        if (!endpoint || endpoint.tenantId !== row.tenantId) return "endpoint deleted";
        if (endpoint.disabledAtMs !== null) return "endpoint disabled";
        return undefined;
      },
      render: (payload, endpoint, row) =>
        renderWebhookBody(payload, endpoint, row.createdAtMs, externalURL),
      send: (endpoint, body, row, payload) =>
        withWebhookAttemptSpan(row, payload, endpoint, () =>
          sender.send(
            { url: endpoint.url, secrets: endpoint.secrets },
            { id: row.idempotencyKey, body, createdAtMs: row.createdAtMs },
          ),
        ),
      retry: () => ({ policy }),

      async settle({ row, target: endpoint, attempt: a, step, nowMs }): Promise<Settlement> {
        let health = endpointAfterAttempt(
          endpoint.failingSinceMs !== null ? { failingSinceMs: endpoint.failingSinceMs } : {},
          a.outcome,
          nowMs,
          disableAfter,
        );
        if (health.verdict === "disable" && a.outcome !== "disable_endpoint") {
          // Disabling for the failing period rests on failing_since_ms: decide on the stored value,
          // not on a cached one that a success elsewhere may have cleared a moment ago.
          const fresh = await store.endpoint(endpoint.id);
          health = endpointAfterAttempt(
            fresh?.failingSinceMs != null ? { failingSinceMs: fresh.failingSinceMs } : {},
            a.outcome,
            nowMs,
            disableAfter,
          );
        }
        if (health.verdict === "disable") {
          const reason =
            a.outcome === "disable_endpoint"
              ? "the endpoint answered 410 Gone"
              : `only failures since ${new Date(health.health.failingSinceMs ?? nowMs).toISOString()}`;
          const owners = await store.ownerTargets(row.tenantId, endpoint.id);
          const notices = disabledNotices(
            {
              tenantId: row.tenantId,
              endpointId: endpoint.id,
              url: safeOrigin(endpoint.url),
              reason,
              disabledAtMs: nowMs,
            },
            owners,
          );
          // A disabled endpoint gets nothing more: the row that disabled it is not retried either.
          const next: NextStep =
            step.action === "retry" ? { action: "give_up", reason: "endpoint_gone" } : step;
          return {
            step: next,
            statements: disableStatements(row, {
              endpointId: endpoint.id,
              failingSinceMs: health.health.failingSinceMs ?? null,
              disabledAtMs: nowMs,
              reason,
              notices,
            }),
            forgetTarget: true,
            afterStored: () =>
              logger.warn("webhook endpoint disabled", {
                endpointId: endpoint.id,
                tenantId: row.tenantId,
                reason,
                notices: notices.length,
              }),
          };
        }
        if (
          a.outcome === "delivered" &&
          (endpoint.failingSinceMs !== null || mayBeFailing.has(endpoint.id))
        ) {
          mayBeFailing.delete(endpoint.id);
          return { step, statements: healthyStatements(endpoint.id), forgetTarget: true };
        }
        if (health.verdict === "failing") {
          // The cached row may say healthy for up to a second: remember that a failure was stored,
          // so the next success clears it whatever the cache says.
          if (mayBeFailing.size >= 10_000) mayBeFailing.clear();
          mayBeFailing.add(endpoint.id);
          return {
            step,
            statements: failingStatements(endpoint.id, health.health.failingSinceMs ?? nowMs),
            forgetTarget: endpoint.failingSinceMs === null,
          };
        }
        return { step, statements: [], forgetTarget: false };
      },

      disabledTargets: () => store.disabledCount(),
      close: () => sender.close(),
    };
    return channel;
  },
};
