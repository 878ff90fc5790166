/**
 * Web Push against a real HTTPS push service on loopback (self-signed certificate): each message is
 * decrypted with `http_ece` using the subscriber's keys, and the VAPID JWT is verified (ES256 with the
 * VAPID public key, aud = endpoint origin, exp at most 24 h ahead, sub). 404/410 mean delete.
 */
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { parseAllowlist } from "../../core/notify/address-policy.ts";
import {
  maxPushPlaintextBytes,
  pushPayload,
  pushTopicFor,
  urgencyForSeverity,
} from "../../core/notify/push-message.ts";
import {
  createPushSender,
  type PushSender,
} from "../../stream/notify/channels/push/push-sender.ts";
import {
  loadVapidKeys,
  memoryVapidKeyStore,
} from "../../stream/notify/channels/push/vapid-keys.ts";
import { createNotifyMetrics } from "../../stream/notify/metrics.ts";
import { createOutboundAgents } from "../../stream/notify/outbound-http.ts";
import { createOutboundGuard } from "../../stream/notify/ssrf.ts";
import {
  newSubscriber,
  type PushService,
  type Subscriber,
  startPushService,
  verifyVapid,
} from "./receivers.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const subject = "mailto:ops@gridpulse.test";

async function setup(
  reply?: (path: string, n: number) => { status: number; headers?: Record<string, string> },
) {
  const vapid = await loadVapidKeys({ store: memoryVapidKeyStore() });
  const subscribers = new Map<string, Subscriber>();
  const service: PushService = await startPushService({
    hostname: "push.test",
    vapidPublicKey: vapid.publicKey,
    subscribers,
    ...(reply ? { reply } : {}),
  });
  const agents = createOutboundAgents({ ca: service.ca });
  const registry = new Registry();
  const sender: PushSender = createPushSender({
    vapid,
    subject,
    // push.test is resolved by the test, and allowed to be loopback by the explicit allowlist.
    guard: createOutboundGuard({
      resolve: async () => [{ address: "127.0.0.1", family: 4 }],
      allowlist: parseAllowlist(`127.0.0.1:${service.port}`),
      protocols: ["https:"],
    }),
    extraPushHosts: ["push.test"],
    agents,
    metrics: createNotifyMetrics([registry]),
    deadlineMs: 5000,
  });
  cleanups.push(
    () => service.close(),
    () => agents.destroy(),
  );
  const subscribe = (path: string) => {
    const s = newSubscriber();
    subscribers.set(path, s);
    return { endpoint: `${service.origin}${path}`, keys: s.keys };
  };
  return { vapid, service, sender, subscribe, registry };
}

describe("Web Push sender", () => {
  it("delivers encrypted messages with a valid VAPID JWT, TTL, urgency and topic", async () => {
    const { vapid, service, sender, subscribe, registry } = await setup();
    const subs = [subscribe("/push/a"), subscribe("/push/b")];
    const sentAt = Math.floor(Date.now() / 1000);
    for (const [i, severity] of (["page", "ticket", "info"] as const).entries()) {
      for (const sub of subs) {
        const payload = pushPayload({
          title: `alert ${i}`,
          body: "Ωμέγα burn",
          status: "firing",
          severity,
          fingerprint: `fp${i}`,
          ts: new Date().toISOString(),
        });
        const a = await sender.send(sub, {
          id: `m${i}`,
          payload,
          ttlS: 3600,
          urgency: urgencyForSeverity(severity),
          topic: await pushTopicFor(`fp${i}`),
          createdAtMs: Date.now(),
        });
        expect(a).toMatchObject({ outcome: "delivered", status: 201 });
      }
    }
    expect(service.errors).toEqual([]);
    expect(service.received).toHaveLength(6);
    const first = service.received[0];
    expect(JSON.parse(first?.plaintext ?? "")).toMatchObject({
      title: "alert 0",
      body: "Ωμέγα burn",
    });
    expect(first?.headers).toMatchObject({
      ttl: "3600",
      urgency: "high",
      "content-encoding": "aes128gcm",
    });
    expect(first?.headers.topic).toBe(await pushTopicFor("fp0"));
    expect(service.received.map((r) => r.headers.urgency)).toEqual([
      "high",
      "high",
      "normal",
      "normal",
      "low",
      "low",
    ]);
    for (const r of service.received) {
      expect(r.jwt.k).toBe(vapid.publicKey);
      expect(r.jwt.claims.aud).toBe(service.origin);
      expect(r.jwt.claims.sub).toBe(subject);
      const exp = r.jwt.claims.exp as number;
      expect(exp).toBeGreaterThan(sentAt);
      expect(exp).toBeLessThanOrEqual(sentAt + 24 * 3600 + 5);
    }
    expect(sender.publicKey).toBe(vapid.publicKey);
    // The service's check can fail: a token re-signed by another key or with altered claims does not verify.
    const auth = String(first?.headers.authorization);
    const [h, , sig] = auth.slice("vapid t=".length).split(",")[0]?.split(".") ?? [];
    const forged = Buffer.from(
      JSON.stringify({ ...first?.jwt.claims, sub: "mailto:x@y" }),
    ).toString("base64url");
    expect(() =>
      verifyVapid(auth.replace(/t=[^,]+/, `t=${h}.${forged}.${sig}`), vapid.publicKey),
    ).toThrow(/signature/);
    const stranger = await loadVapidKeys({ store: memoryVapidKeyStore() });
    expect(() => verifyVapid(auth, stranger.publicKey)).toThrow(/k is not/);
    expect(await registry.metrics()).toMatch(
      /gridpulse_notify_deliveries_total\{channel="push",outcome="delivered"\} 6/,
    );
  });

  it("maps 410 and 404 to delete_subscription and 429/503 to retry with Retry-After", async () => {
    const replies: Record<string, { status: number; headers?: Record<string, string> }> = {
      "/gone": { status: 410 },
      "/unknown": { status: 404 },
      "/busy": { status: 429, headers: { "retry-after": "30" } },
      "/down": { status: 503 },
      "/bad": { status: 400 },
    };
    const { sender, subscribe, service } = await setup((path) => replies[path] ?? { status: 201 });
    const send = async (path: string) =>
      sender.send(subscribe(path), { id: path, payload: "{}", ttlS: 60, urgency: "normal" });
    expect((await send("/gone")).outcome).toBe("delete_subscription");
    expect((await send("/unknown")).outcome).toBe("delete_subscription");
    expect(await send("/busy")).toMatchObject({ outcome: "retry", retryAfterMs: 30_000 });
    expect((await send("/down")).outcome).toBe("retry");
    expect((await send("/bad")).outcome).toBe("failed");
    expect(service.errors).toEqual([]);
  });

  it("always sends TTL (also 0), refuses oversize payloads and unknown push hosts before sending", async () => {
    const { sender, subscribe, service } = await setup();
    const sub = subscribe("/p");
    expect(
      (await sender.send(sub, { id: "t0", payload: "x", ttlS: 0, urgency: "low" })).outcome,
    ).toBe("delivered");
    expect(service.received[0]?.headers.ttl).toBe("0");
    const max = await sender.send(sub, {
      id: "max",
      payload: "y".repeat(maxPushPlaintextBytes),
      ttlS: 60,
      urgency: "low",
    });
    expect(max.outcome).toBe("delivered");
    expect(service.received[1]?.plaintext).toHaveLength(maxPushPlaintextBytes);
    const big = await sender.send(sub, {
      id: "big",
      payload: "z".repeat(maxPushPlaintextBytes + 1),
      ttlS: 60,
      urgency: "low",
    });
    expect(big).toMatchObject({ outcome: "invalid" });
    expect(big.error).toMatch(/3994 bytes/);
    const elsewhere = await sender.send(
      { endpoint: `https://127.0.0.1:${service.port}/p`, keys: sub.keys },
      { id: "h", payload: "{}", ttlS: 60, urgency: "low" },
    );
    expect(elsewhere).toMatchObject({
      outcome: "blocked",
      error: "blocked: push_host_not_allowed",
    });
    await expect(sender.checkEndpoint("http://push.test/p")).rejects.toThrow(/scheme_not_allowed/);
    await expect(sender.checkEndpoint("https://fcm.googleapis.com.evil.test/p")).rejects.toThrow(
      /push_host_not_allowed/,
    );
    expect(service.received).toHaveLength(2);
  });
});

describe("VAPID keys", () => {
  it("are generated once and kept by the store; configured keys win; half a pair is an error", async () => {
    const store = memoryVapidKeyStore();
    const a = await loadVapidKeys({ store });
    const b = await loadVapidKeys({ store });
    expect(b).toEqual(a);
    expect(Buffer.from(a.publicKey, "base64url")).toHaveLength(65);
    const other = await loadVapidKeys({ store: memoryVapidKeyStore() });
    expect(await loadVapidKeys({ store, configured: other })).toEqual(other);
    await expect(loadVapidKeys({ store, configured: { publicKey: a.publicKey } })).rejects.toThrow(
      /both/,
    );
    await expect(
      loadVapidKeys({ store, configured: { publicKey: "abc", privateKey: a.privateKey } }),
    ).rejects.toThrow(/public key/);
  });
});
