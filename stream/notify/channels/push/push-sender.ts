/**
 * Sends one Web Push message (RFC 8030) with VAPID (RFC 8292) and aes128gcm encryption (RFC 8291)
 * built by `web-push`, over gridpulse's pinned HTTP client (web-push's own sender has no deadline
 * and no SSRF guard). TTL is always set; Urgency comes from severity; Topic replaces repeats;
 * the payload size is checked before encrypting. The VAPID JWT is cached per push-service origin.
 */
import webPush from "web-push";
import { classifyPushExchange } from "../../../../core/notify/outcome.ts";
import {
  assertPushPayloadFits,
  PushPayloadTooLargeError,
  type PushUrgency,
} from "../../../../core/notify/push-message.ts";
import { type NotifyMetrics, recordAttempt } from "../../metrics.ts";
import {
  createOutboundAgents,
  exchangeFields,
  type OutboundAgents,
  postPinned,
  unsentFields,
} from "../../outbound-http.ts";
import { OutboundBlockedError, type OutboundGuard } from "../../ssrf.ts";
import type { SentAttempt } from "../channel.ts";
import { knownPushHosts, pushHostAllowed } from "./push-hosts.ts";
import type { VapidKeys } from "./vapid-keys.ts";

export interface PushSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export interface PushMessage {
  /** Outbox idempotency key (for the attempt log; push has no receiver-side dedup header). */
  id: string;
  /** Plaintext (JSON from core/notify/push-message.ts), at most 3993 bytes. */
  payload: string;
  /** Seconds the push service keeps the message for an offline device; always sent. */
  ttlS: number;
  urgency: PushUrgency;
  /** ≤ 32 base64url characters (pushTopicFor(fingerprint)). */
  topic?: string;
  createdAtMs?: number;
}

export interface PushAttempt extends SentAttempt {
  messageId: string;
}

export interface PushSenderOptions {
  vapid: VapidKeys;
  /** VAPID `sub`: a mailto: or https: contact of the operator. */
  subject: string;
  guard: OutboundGuard;
  /** Push hosts allowed besides the known services. */
  extraPushHosts?: readonly string[];
  deadlineMs?: number;
  excerptBytes?: number;
  /**
   * Lifetime of the VAPID JWT (`exp` - now), under 24 h (RFC 8292 §2: `exp` no more than 24 hours
   * after the request; web-push refuses 24 h itself); default 12 h.
   */
  jwtLifetimeS?: number;
  clock?: () => number;
  metrics?: NotifyMetrics;
  agents?: OutboundAgents;
}

export interface PushSender {
  /** For the API endpoint that hands the key to browsers (`applicationServerKey`). */
  readonly publicKey: string;
  /** Registration-time check of a subscription endpoint (throws OutboundBlockedError). */
  checkEndpoint(endpoint: string): Promise<void>;
  send(subscription: PushSubscription, message: PushMessage): Promise<PushAttempt>;
  close(): void;
}

export function createPushSender(options: PushSenderOptions): PushSender {
  if (!/^(mailto:|https:\/\/)/.test(options.subject))
    throw new Error("VAPID subject must be a mailto: or https: URL");
  const jwtLifetimeS = options.jwtLifetimeS ?? 12 * 3600;
  if (!(jwtLifetimeS > 60 && jwtLifetimeS < 24 * 3600))
    throw new Error("VAPID JWT lifetime must be over 1 minute and under 24 hours");
  const deadlineMs = options.deadlineMs ?? 15_000;
  const excerptBytes = options.excerptBytes ?? 1024;
  const clock = options.clock ?? Date.now;
  const agents = options.agents ?? createOutboundAgents();
  const ownsAgents = options.agents === undefined;
  const hosts = [...knownPushHosts, ...(options.extraPushHosts ?? [])];
  const jwtCache = new Map<string, { authorization: string; renewAtMs: number }>();

  async function checkEndpoint(endpoint: string) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new OutboundBlockedError("invalid_url", "");
    }
    if (url.protocol !== "https:")
      throw new OutboundBlockedError("scheme_not_allowed", url.hostname, url.protocol);
    if (!pushHostAllowed(url.hostname, hosts))
      throw new OutboundBlockedError("push_host_not_allowed", url.hostname);
    return options.guard.check(url);
  }

  function vapidAuthorization(origin: string, nowMs: number): string {
    const cached = jwtCache.get(origin);
    if (cached && cached.renewAtMs > nowMs) return cached.authorization;
    const expS = Math.floor(nowMs / 1000) + jwtLifetimeS;
    const headers = webPush.getVapidHeaders(
      origin,
      options.subject,
      options.vapid.publicKey,
      options.vapid.privateKey,
      "aes128gcm",
      expS,
    );
    if (jwtCache.size > 1000) jwtCache.clear();
    // Renewed at half its lifetime, so a cached token always has hours left.
    jwtCache.set(origin, {
      authorization: headers.Authorization,
      renewAtMs: nowMs + (jwtLifetimeS * 1000) / 2,
    });
    return headers.Authorization;
  }

  async function send(subscription: PushSubscription, message: PushMessage): Promise<PushAttempt> {
    const attemptedAtMs = clock();
    const base = { messageId: message.id, attemptedAtMs };
    let attempt: PushAttempt;
    try {
      if (!(Number.isInteger(message.ttlS) && message.ttlS >= 0))
        throw new Error("push TTL must be a whole number of seconds");
      assertPushPayloadFits(message.payload);
      const target = await checkEndpoint(subscription.endpoint);
      const details = webPush.generateRequestDetails(subscription, message.payload, {
        vapidDetails: null as unknown as undefined, // VAPID header added below from the cache
        TTL: message.ttlS,
        urgency: message.urgency,
        contentEncoding: "aes128gcm",
        ...(message.topic ? { topic: message.topic } : {}),
      });
      const headers: Record<string, string | number> = {};
      for (const [k, v] of Object.entries(details.headers)) headers[k] = v as string | number;
      headers.Authorization = vapidAuthorization(target.url.origin, attemptedAtMs);
      const response = await postPinned({
        target,
        headers,
        body: details.body as Buffer,
        deadlineMs,
        agents,
        excerptBytes,
      });
      attempt = {
        ...base,
        ...classifyPushExchange(response, clock()),
        ...exchangeFields(response, deadlineMs),
      };
    } catch (error) {
      attempt = {
        ...base,
        ...unsentFields(error, (e) =>
          e instanceof PushPayloadTooLargeError
            ? e.message
            : `cannot build push request: ${(e as Error).message}`,
        ),
      };
    }
    recordAttempt(options.metrics, "push", attempt, message.createdAtMs);
    return attempt;
  }

  return {
    publicKey: options.vapid.publicKey,
    async checkEndpoint(endpoint) {
      await checkEndpoint(endpoint);
    },
    send,
    close() {
      if (ownsAgents) agents.destroy();
    },
  };
}
