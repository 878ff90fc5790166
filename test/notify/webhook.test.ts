/**
 * Webhook delivery against real loopback receivers that verify each request with the
 * `standardwebhooks` package: signatures (also during secret rotation), stable ids across retries,
 * outcome classification from real answers, deadlines, traceparent, metrics, and a flaky receiver
 * with a compressed retry schedule that still gets every message exactly once after dedup.
 */
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { parseAllowlist } from "../../core/notify/address-policy.ts";
import { planNextAttempt, type RetryPolicy } from "../../core/notify/retry.ts";
import { generateWebhookSecret } from "../../core/notify/standard-webhooks.ts";
import {
  createWebhookSender,
  type WebhookEndpoint,
} from "../../stream/notify/channels/webhook/webhook-sender.ts";
import { createNotifyMetrics } from "../../stream/notify/metrics.ts";
import { createOutboundGuard } from "../../stream/notify/ssrf.ts";
import { type Reply, startWebhookReceiver } from "./receivers.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(
  secrets: string[],
  reply?: Reply,
  options: { deadlineMs?: number; clock?: () => number } = {},
) {
  const receiver = await startWebhookReceiver(secrets, reply);
  const registry = new Registry();
  const metrics = createNotifyMetrics([registry]);
  const sender = createWebhookSender({
    guard: createOutboundGuard({ allowlist: parseAllowlist(`127.0.0.1:${receiver.port}`) }),
    metrics,
    deadlineMs: options.deadlineMs ?? 5000,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  cleanups.push(
    () => receiver.close(),
    () => sender.close(),
  );
  return { receiver, sender, registry };
}

const body = (n: number) => JSON.stringify({ type: "alert.firing", data: { n, text: "Ωμέγα" } });

describe("webhook sender", () => {
  it("sends Standard Webhooks requests that standardwebhooks verifies", async () => {
    const secret = generateWebhookSecret();
    const { receiver, sender, registry } = await setup([secret]);
    const endpoint: WebhookEndpoint = { url: `${receiver.url}/hooks/a?x=1`, secrets: [{ secret }] };
    for (let i = 0; i < 20; i++) {
      const a = await sender.send(endpoint, {
        id: `msg_${i}`,
        body: body(i),
        createdAtMs: Date.now(),
      });
      expect(a).toMatchObject({ outcome: "delivered", status: 204, webhookId: `msg_${i}` });
      expect(a.durationMs).toBeGreaterThan(0);
    }
    expect(receiver.rejected).toBe(0);
    expect(receiver.received.map((r) => r.id)).toEqual(
      Array.from({ length: 20 }, (_, i) => `msg_${i}`),
    );
    const h = receiver.received[0]?.headers ?? {};
    expect(h["content-type"]).toBe("application/json");
    expect(h["content-length"]).toBe(String(Buffer.byteLength(body(0))));
    expect(h.traceparent).toMatch(/^00-[\da-f]{32}-[\da-f]{16}-0[01]$/);
    expect(Math.abs(Number(h["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(5);
    const text = await registry.metrics();
    expect(text).toMatch(
      /gridpulse_notify_deliveries_total\{channel="webhook",outcome="delivered"\} 20/,
    );
    expect(text).toMatch(/gridpulse_notify_delivery_latency_seconds_count\{channel="webhook"\} 20/);
    expect(text).toMatch(/gridpulse_notify_attempt_duration_seconds_count\{channel="webhook"\} 20/);
  });

  it("signs with old and new secret during a rotation, then only with the new one", async () => {
    const oldSecret = generateWebhookSecret();
    const newSecret = generateWebhookSecret();
    let now = Date.now();
    const { receiver, sender } = await setup([oldSecret, newSecret], undefined, {
      clock: () => now,
    });
    const endpoint: WebhookEndpoint = {
      url: receiver.url,
      secrets: [{ secret: oldSecret, expiresAtMs: now + 60_000 }, { secret: newSecret }],
    };
    const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    expect(
      (await sender.send(endpoint, { id: "rot_1", body: body(1), traceparent: tp })).outcome,
    ).toBe("delivered");
    expect(receiver.received[0]?.headers.traceparent).toBe(tp);
    // After the grace period (within the receivers' ±5 min tolerance) only the new secret signs.
    now += 61_000;
    expect((await sender.send(endpoint, { id: "rot_2", body: body(2) })).outcome).toBe("delivered");
    expect(receiver.received.map((r) => r.verifiedWith)).toEqual([[0, 1], [1]]);
    expect(receiver.received[0]?.headers["webhook-signature"]?.toString().split(" ")).toHaveLength(
      2,
    );
    expect(receiver.rejected).toBe(0);
  });

  it("keeps webhook-id across retries and classifies real answers", async () => {
    const secret = generateWebhookSecret();
    const replies: ReturnType<Reply>[] = [
      { status: 500 },
      { status: 429, headers: { "retry-after": "7" } },
      { status: 503, headers: { "retry-after": new Date(Date.now() + 60_000).toUTCString() } },
      { status: 302, headers: { location: "http://127.0.0.1:1/" } },
      { status: 400, body: "x".repeat(5000) },
      { status: 410 },
      { status: 200 },
    ];
    const { receiver, sender } = await setup(
      [secret],
      (_r, n) => replies[n - 1] ?? { status: 200 },
    );
    const endpoint = { url: receiver.url, secrets: [{ secret }] };
    const attempts = [];
    for (let i = 0; i < replies.length; i++)
      attempts.push(await sender.send(endpoint, { id: "same", body: body(0) }));
    expect(attempts.map((a) => a.outcome)).toEqual([
      "retry",
      "retry",
      "retry",
      "failed",
      "failed",
      "disable_endpoint",
      "delivered",
    ]);
    expect(attempts[1]?.retryAfterMs).toBe(7000);
    expect(attempts[2]?.retryAfterMs).toBeGreaterThan(55_000);
    expect(attempts[4]?.responseExcerpt).toHaveLength(1024);
    expect(new Set(receiver.received.map((r) => r.id))).toEqual(new Set(["same"]));
    expect(receiver.received).toHaveLength(replies.length);
    expect(receiver.rejected).toBe(0);
  });

  it("gives up on an attempt at its deadline and on a closed port", async () => {
    const secret = generateWebhookSecret();
    const { receiver, sender } = await setup([secret], () => ({ status: 200, hang: true }), {
      deadlineMs: 300,
    });
    const t = performance.now();
    const a = await sender.send(
      { url: receiver.url, secrets: [{ secret }] },
      { id: "slow", body: "{}" },
    );
    expect(a.outcome).toBe("retry");
    expect(a.status).toBeUndefined();
    expect(a.error).toMatch(/deadline of 300 ms/);
    expect(performance.now() - t).toBeLessThan(2000);
    const port = receiver.port;
    await receiver.close();
    cleanups.pop();
    const closed = await sender.send(
      { url: `http://127.0.0.1:${port}/`, secrets: [{ secret }] },
      { id: "c", body: "{}" },
    );
    expect(closed).toMatchObject({ outcome: "retry", error: "ECONNREFUSED" });
  });

  it("never puts secrets or URL paths in attempt records", async () => {
    const secret = generateWebhookSecret();
    const sender = createWebhookSender({ guard: createOutboundGuard() });
    cleanups.push(() => sender.close());
    const a = await sender.send(
      { url: "http://127.0.0.1/token-abc123", secrets: [{ secret }] },
      { id: "m", body: "{}" },
    );
    expect(a.outcome).toBe("blocked");
    expect(JSON.stringify(a)).not.toMatch(/token-abc123|whsec_/);
  });
});

describe("flaky receiver", () => {
  it("every message arrives, exactly once after dedup by webhook-id", async () => {
    const secret = generateWebhookSecret();
    // Deterministic flakiness by request number: half 500, a tenth processed but never answered
    // (the sender times out, retries, and the receiver sees a duplicate), the rest 200.
    const reply: Reply = (_r, n) => {
      const k = n % 10;
      if (k < 5) return { status: 500 };
      if (k === 5) return { status: 200, hang: true };
      return { status: 200 };
    };
    const { receiver, sender } = await setup([secret], reply, { deadlineMs: 200 });
    const policy: RetryPolicy = {
      scheduleMs: Array.from({ length: 30 }, (_, i) => (i === 0 ? 0 : 10)),
      jitterRatio: 0.5,
      retryFailed: true,
      maxRetryAfterMs: 100,
    };
    const endpoint = { url: receiver.url, secrets: [{ secret }] };
    const total = 120;
    const outcomes = new Map<string, string>();
    let attemptsMade = 0;
    await Promise.all(
      Array.from({ length: total }, async (_, i) => {
        const id = `flaky_${i}`;
        for (let made = 1; ; made++) {
          const a = await sender.send(endpoint, { id, body: body(i) });
          attemptsMade++;
          const step = planNextAttempt({
            outcome: a.outcome,
            attemptsMade: made,
            nowMs: Date.now(),
            policy,
            ...(a.retryAfterMs !== undefined ? { retryAfterMs: a.retryAfterMs } : {}),
          });
          if (step.action !== "retry") {
            outcomes.set(id, step.action === "done" ? "delivered" : step.reason);
            return;
          }
          await new Promise((r) => setTimeout(r, step.delayMs));
        }
      }),
    );
    expect([...outcomes.values()].every((o) => o === "delivered")).toBe(true);
    expect(outcomes.size).toBe(total);
    // What a deduplicating receiver keeps: requests it accepted (answered 2xx or processed), by id.
    const accepted = receiver.received.filter((_r, idx) => (idx + 1) % 10 >= 5);
    const byId = new Map<string, number>();
    for (const r of accepted) byId.set(r.id, (byId.get(r.id) ?? 0) + 1);
    expect(byId.size).toBe(total);
    expect([...byId.values()].some((c) => c > 1)).toBe(true); // at-least-once did deliver duplicates
    expect(receiver.rejected).toBe(0);
    expect(attemptsMade).toBeGreaterThan(total * 1.5);
  });
});
