/**
 * Sends one webhook attempt: Standard Webhooks headers (stable `webhook-id`, the attempt's
 * `webhook-timestamp`, one `v1,` signature per active secret), JSON body, outbound `traceparent` (and
 * the `tracestate` of the same context, when it has one);
 * the URL is checked by the SSRF guard at every attempt and the socket pinned to the checked address;
 * redirects are failures; the whole exchange has a deadline. Returns the attempt record for the log.
 * Secrets and URLs (whose paths often hold tokens) never appear in errors or records.
 */
import { classifyWebhookExchange } from "../../../../core/notify/outcome.ts";
import {
  activeSecrets,
  type EndpointSecret,
  signWebhook,
} from "../../../../core/notify/standard-webhooks.ts";
import { type NotifyMetrics, recordAttempt } from "../../metrics.ts";
import {
  createOutboundAgents,
  exchangeFields,
  type OutboundAgents,
  postPinned,
  unsentFields,
} from "../../outbound-http.ts";
import type { OutboundGuard } from "../../ssrf.ts";
import { outboundTraceHeaders } from "../../traceparent.ts";
import type { SentAttempt } from "../channel.ts";

const traceparentPattern = /^00-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;

export interface WebhookEndpoint {
  url: string;
  /** Every unexpired secret signs (old and new during a rotation's grace period). */
  secrets: readonly EndpointSecret[];
}

export interface WebhookMessage {
  /** The outbox idempotency key: the same on every retry, so receivers deduplicate by it. */
  id: string;
  /** JSON text (see core/notify/payloads.ts). */
  body: string;
  /** When the notification was created, for the delivery-latency metric. */
  createdAtMs?: number;
  /** Trace context to continue (e.g. stored with the outbox row); default: the active context. */
  traceparent?: string;
}

export interface WebhookAttempt extends SentAttempt {
  webhookId: string;
  traceparent: string;
}

export interface WebhookSenderOptions {
  guard: OutboundGuard;
  /** Deadline of one attempt (connect to full response); default 15 s. */
  deadlineMs?: number;
  /** Response excerpt kept per attempt; default 1024 bytes. */
  excerptBytes?: number;
  /** Epoch ms; injectable for tests. */
  clock?: () => number;
  metrics?: NotifyMetrics;
  agents?: OutboundAgents;
  userAgent?: string;
}

export interface WebhookSender {
  send(endpoint: WebhookEndpoint, message: WebhookMessage): Promise<WebhookAttempt>;
  /** Registration-time check of an endpoint URL (throws OutboundBlockedError). */
  checkUrl(url: string): Promise<void>;
  close(): void;
}

export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const deadlineMs = options.deadlineMs ?? 15_000;
  const excerptBytes = options.excerptBytes ?? 1024;
  const clock = options.clock ?? Date.now;
  const agents = options.agents ?? createOutboundAgents();
  const ownsAgents = options.agents === undefined;
  const userAgent = options.userAgent ?? "gridpulse-webhooks/1";

  async function send(endpoint: WebhookEndpoint, message: WebhookMessage): Promise<WebhookAttempt> {
    const attemptedAtMs = clock();
    const trace =
      message.traceparent && traceparentPattern.test(message.traceparent)
        ? { traceparent: message.traceparent }
        : outboundTraceHeaders();
    const traceparent = trace.traceparent;
    const base = { webhookId: message.id, attemptedAtMs, traceparent };
    let attempt: WebhookAttempt;
    try {
      const target = await options.guard.check(endpoint.url);
      const signed = await signWebhook(
        { id: message.id, timestampS: Math.floor(attemptedAtMs / 1000), body: message.body },
        activeSecrets(endpoint.secrets, attemptedAtMs),
      );
      const response = await postPinned({
        target,
        headers: {
          ...signed,
          "content-type": "application/json",
          "user-agent": userAgent,
          ...trace,
        },
        body: message.body,
        deadlineMs,
        agents,
        excerptBytes,
      });
      const classified = classifyWebhookExchange(response, deadlineMs, clock());
      attempt = {
        ...base,
        ...classified,
        ...exchangeFields(response, deadlineMs),
      };
    } catch (error) {
      // OutboundBlockedError and WebhookSecretError messages name neither the URL path nor secrets.
      attempt = { ...base, ...unsentFields(error, (e) => (e as Error).message) };
    }
    recordAttempt(options.metrics, "webhook", attempt, message.createdAtMs);
    return attempt;
  }

  return {
    send,
    async checkUrl(url) {
      await options.guard.check(url);
    },
    close() {
      if (ownsAgents) agents.destroy();
    },
  };
}
