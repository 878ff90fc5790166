/**
 * The push channel's TTL header against a local HTTPS push service (receivers.ts, which
 * decrypts every message and verifies its VAPID JWT): RFC 8030 §5.2 counts the TTL from when the push
 * service receives the message, so a retry sends what is left of NOTIFY_PUSH_TTL_S since the row was
 * created, not the whole of it again. The database is the fake at the boundary (send reads none).
 */
import type { Client } from "@libsql/client";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import webPush from "web-push";
import { silentLogger } from "../../core/observability/logger.ts";
import type { NotifyChannel } from "../../stream/notify/channels/channel.ts";
import {
  pushChannel,
  type SubscriptionTarget,
} from "../../stream/notify/channels/push/push.channel.ts";
import { loadNotifyConfig } from "../../stream/notify/config.ts";
import { createNotifyMetrics } from "../../stream/notify/metrics.ts";
import { createOutboundAgents } from "../../stream/notify/outbound-http.ts";
import type { ClaimedRow } from "../../stream/notify/outbox-store.ts";
import { newSubscriber, startPushService } from "./receivers.ts";

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const client = { execute: async () => ({ rows: [] }) } as unknown as Client;

describe("the push channel's TTL", () => {
  it("is what is left of NOTIFY_PUSH_TTL_S since the row was created, never below 0", async () => {
    const vapid = webPush.generateVAPIDKeys();
    const subscriber = newSubscriber();
    const service = await startPushService({
      hostname: "push.test",
      vapidPublicKey: vapid.publicKey,
      subscribers: new Map([["/sub", subscriber]]),
    });
    closers.push(() => service.close());
    const agents = createOutboundAgents({ ca: service.ca });
    closers.push(() => agents.destroy());
    const nowMs = Date.now();
    const channel = (await pushChannel.create({
      client,
      config: loadNotifyConfig({
        NOTIFY_OUTBOUND_ALLOWLIST: `127.0.0.1:${service.port}`,
        NOTIFY_PUSH_HOSTS: "push.test",
        NOTIFY_PUSH_TTL_S: "600",
        VAPID_PUBLIC_KEY: vapid.publicKey,
        VAPID_PRIVATE_KEY: vapid.privateKey,
      }),
      metrics: createNotifyMetrics([new Registry()]),
      logger: silentLogger,
      agents,
      clock: () => nowMs,
      resolve: async () => [{ address: "127.0.0.1", family: 4 }],
    })) as NotifyChannel<SubscriptionTarget, unknown>;
    closers.push(() => channel.close());
    const sub: SubscriptionTarget = {
      id: "psub_1",
      tenantId: "t1",
      endpoint: `${service.origin}/sub`,
      ...subscriber.keys,
    };
    const sendAged = async (ageMs: number) => {
      const row: ClaimedRow = {
        id: `o${ageMs}`,
        tenantId: "t1",
        channel: "push",
        targetId: sub.id,
        idempotencyKey: `k${ageMs}`,
        trigger: "test",
        payload: { type: "test" },
        attempts: 1,
        createdAtMs: nowMs - ageMs,
        leaseUntilMs: nowMs + 60_000,
      };
      const rendered = channel.render({ type: "test" }, sub, row);
      const attempt = await channel.send(sub, rendered, row, { type: "test" });
      expect(attempt.outcome, String(ageMs)).toBe("delivered");
      return service.received.at(-1)?.headers.ttl;
    };
    expect(await sendAged(0)).toBe("600");
    expect(await sendAged(999)).toBe("600");
    expect(await sendAged(1_000)).toBe("599");
    expect(await sendAged(90_500)).toBe("510");
    expect(await sendAged(599_999)).toBe("1");
    expect(await sendAged(600_000)).toBe("0");
    expect(await sendAged(700_000)).toBe("0");
    expect(service.errors).toEqual([]);
  });
});

describe("the push channel's start", () => {
  it("fails when VAPID_PUBLIC_KEY is not the public key of VAPID_PRIVATE_KEY", async () => {
    const a = webPush.generateVAPIDKeys();
    const b = webPush.generateVAPIDKeys();
    const agents = createOutboundAgents();
    closers.push(() => agents.destroy());
    const start = pushChannel.create({
      client,
      config: loadNotifyConfig({ VAPID_PUBLIC_KEY: a.publicKey, VAPID_PRIVATE_KEY: b.privateKey }),
      metrics: createNotifyMetrics([new Registry()]),
      logger: silentLogger,
      agents,
      clock: Date.now,
    });
    await expect(start).rejects.toThrow(
      /^VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY do not belong together/,
    );
  });
});
