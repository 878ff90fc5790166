/**
 * SSRF guard at the senders, against live loopback listeners that must never see a request:
 * internal addresses in every spelling, a name that resolves to loopback (the system resolver's
 * `localhost` and an injected one), and a public-looking allowlisted host that redirects to loopback.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseAllowlist } from "../../core/notify/address-policy.ts";
import { generateWebhookSecret } from "../../core/notify/standard-webhooks.ts";
import { createPushSender } from "../../stream/notify/channels/push/push-sender.ts";
import {
  loadVapidKeys,
  memoryVapidKeyStore,
} from "../../stream/notify/channels/push/vapid-keys.ts";
import { createWebhookSender } from "../../stream/notify/channels/webhook/webhook-sender.ts";
import { createOutboundAgents } from "../../stream/notify/outbound-http.ts";
import { createOutboundGuard, OutboundBlockedError } from "../../stream/notify/ssrf.ts";
import { newSubscriber, startWebhookReceiver, type WebhookReceiver } from "./receivers.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function receiver(
  reply?: Parameters<typeof startWebhookReceiver>[1],
): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver([generateWebhookSecret()], reply);
  cleanups.push(() => r.close());
  return r;
}

describe("SSRF guard on webhook delivery (no allowlist)", () => {
  it("refuses internal targets in every spelling, before any connection", async () => {
    const target = await receiver();
    const secret = generateWebhookSecret();
    // The system resolver: `localhost` really resolves to loopback here.
    const sender = createWebhookSender({ guard: createOutboundGuard() });
    const injected = createWebhookSender({
      guard: createOutboundGuard({
        resolve: async () => [{ address: "127.0.0.1", family: 4 }],
      }),
    });
    cleanups.push(
      () => sender.close(),
      () => injected.close(),
    );
    const p = target.port;
    const cases: [string, string][] = [
      [`http://127.0.0.1:${p}/`, "loopback"],
      [`http://10.0.0.1:${p}/`, "private"],
      [`http://169.254.169.254/latest/meta-data/`, "link_local"],
      [`http://[::1]:${p}/`, "loopback"],
      [`http://[::ffff:127.0.0.1]:${p}/`, "ipv4_mapped"],
      [`http://100.64.0.1:${p}/`, "cgnat"],
      [`http://localhost:${p}/`, "loopback"],
      [`http://2130706433:${p}/`, "loopback"],
      [`http://[64:ff9b::7f00:1]:${p}/`, "loopback"],
    ];
    for (const [url, reason] of cases) {
      const a = await sender.send({ url, secrets: [{ secret }] }, { id: "x", body: "{}" });
      expect({ url, outcome: a.outcome, error: a.error }).toEqual({
        url,
        outcome: "blocked",
        error: `blocked: ${reason}`,
      });
      await expect(sender.checkUrl(url)).rejects.toBeInstanceOf(OutboundBlockedError);
    }
    const viaDns = await injected.send(
      { url: `http://hooks.example.com:${p}/`, secrets: [{ secret }] },
      { id: "x", body: "{}" },
    );
    expect(viaDns).toMatchObject({ outcome: "blocked", error: "blocked: loopback" });
    expect(target.received).toHaveLength(0);
  });

  it("does not follow a redirect from an allowlisted public-looking host to loopback", async () => {
    const internal = await receiver();
    const redirecting = await receiver(() => ({
      status: 307,
      headers: { location: `http://127.0.0.1:${internal.port}/admin` },
    }));
    const secret = generateWebhookSecret();
    // hooks.example.com "resolves" to the loopback listener and is allowlisted by host:port, as a
    // private deployment would; the internal listener's port is not allowlisted.
    const sender = createWebhookSender({
      guard: createOutboundGuard({
        resolve: async () => [{ address: "127.0.0.1", family: 4 }],
        allowlist: parseAllowlist(`hooks.example.com:${redirecting.port}`),
      }),
    });
    cleanups.push(() => sender.close());
    const a = await sender.send(
      { url: `http://hooks.example.com:${redirecting.port}/in`, secrets: [{ secret }] },
      { id: "r1", body: "{}" },
    );
    // Arriving at all shows the socket used the checked (pinned) address: the system resolver would
    // have answered hooks.example.com with a public address, or nothing on this offline machine.
    expect(a).toMatchObject({ outcome: "failed", status: 307 });
    expect(redirecting.received).toHaveLength(1);
    expect(redirecting.received[0]?.headers.host).toBe(`hooks.example.com:${redirecting.port}`);
    expect(internal.received).toHaveLength(0);
    const direct = await sender.send(
      { url: `http://127.0.0.1:${internal.port}/admin`, secrets: [{ secret }] },
      { id: "r2", body: "{}" },
    );
    expect(direct.outcome).toBe("blocked");
    expect(internal.received).toHaveLength(0);
  });
});

describe("SSRF guard on push delivery", () => {
  it("refuses an allowed push host that resolves to an internal address", async () => {
    const vapid = await loadVapidKeys({ store: memoryVapidKeyStore() });
    const agents = createOutboundAgents();
    cleanups.push(() => agents.destroy());
    const sender = createPushSender({
      vapid,
      subject: "mailto:ops@gridpulse.test",
      guard: createOutboundGuard({
        resolve: async () => [{ address: "169.254.169.254", family: 4 }],
        protocols: ["https:"],
      }),
      agents,
    });
    const a = await sender.send(
      { endpoint: "https://fcm.googleapis.com/fcm/send/abc", keys: newSubscriber().keys },
      { id: "p", payload: "{}", ttlS: 60, urgency: "high" },
    );
    expect(a).toMatchObject({ outcome: "blocked", error: "blocked: link_local" });
  });
});
