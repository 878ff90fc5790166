/**
 * Classification of one delivery attempt from what the HTTP exchange gave. Webhooks: a 2xx within
 * the deadline is delivered; 3xx is a failure (redirects are never followed); 410 disables the
 * endpoint; 408/425/429/5xx, time-outs and network errors are transient. Web Push (RFC 8030): 201 (any
 * 2xx) delivered; 404/410 mean the subscription is gone; 429/5xx transient; other 4xx permanent.
 */
import { parseRetryAfter } from "./retry.ts";

export type AttemptOutcome =
  /** 2xx within the deadline. */
  | "delivered"
  /** Transient: 408, 425, 429, 5xx, time-out, network error. Retry-After is honoured. */
  | "retry"
  /** The receiver answered something that is neither success nor transient (3xx, most 4xx). */
  | "failed"
  /** Webhook endpoint answered 410 Gone: stop sending to it. */
  | "disable_endpoint"
  /** Push service answered 404/410: the subscription expired or was unsubscribed. */
  | "delete_subscription"
  /** The SSRF guard or the push-host allowlist refused the URL; nothing was sent. */
  | "blocked"
  /** The message could not be built (e.g. push payload over the size limit); nothing was sent. */
  | "invalid";

export const attemptOutcomes: readonly AttemptOutcome[] = [
  "delivered",
  "retry",
  "failed",
  "disable_endpoint",
  "delete_subscription",
  "blocked",
  "invalid",
];

/** What the transport observed. `status` is absent when no response arrived. */
export interface HttpExchange {
  status?: number;
  /** The deadline passed before the full response arrived. */
  timedOut: boolean;
  /** Connection refused/reset, TLS failure, DNS failure… (no status). */
  networkError?: string;
  /** The raw `Retry-After` header, if any. */
  retryAfter?: string | null;
  durationMs: number;
}

export interface Classified {
  outcome: AttemptOutcome;
  retryAfterMs?: number;
}

const transientStatus = (status: number) =>
  status === 408 || status === 425 || status === 429 || status >= 500;

function withRetryAfter(exchange: HttpExchange, nowMs: number): Classified {
  const retryAfterMs = parseRetryAfter(exchange.retryAfter, nowMs);
  return retryAfterMs === undefined ? { outcome: "retry" } : { outcome: "retry", retryAfterMs };
}

export function classifyWebhookExchange(
  exchange: HttpExchange,
  deadlineMs: number,
  nowMs: number,
): Classified {
  const { status } = exchange;
  if (exchange.timedOut || status === undefined) return { outcome: "retry" };
  if (status >= 200 && status < 300)
    return exchange.durationMs <= deadlineMs ? { outcome: "delivered" } : { outcome: "retry" };
  if (status === 410) return { outcome: "disable_endpoint" };
  if (transientStatus(status)) return withRetryAfter(exchange, nowMs);
  return { outcome: "failed" };
}

export function classifyPushExchange(exchange: HttpExchange, nowMs: number): Classified {
  const { status } = exchange;
  if (exchange.timedOut || status === undefined) return { outcome: "retry" };
  if (status >= 200 && status < 300) return { outcome: "delivered" };
  if (status === 404 || status === 410) return { outcome: "delete_subscription" };
  if (transientStatus(status)) return withRetryAfter(exchange, nowMs);
  return { outcome: "failed" };
}
