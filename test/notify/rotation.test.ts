/**
 * Secret rotation and disablement take effect for every attempt that starts after the API answered:
 * the real API (child process) and the dispatch stage (this process) on one libSQL file, a loopback
 * receiver. Before each rotation a message is delivered, so the dispatcher holds the endpoint in its
 * cache; right after the API's answer a test message is sent. With `graceMs: 0` it verifies with the
 * new secret only (never the revoked one); with a grace, with both. A disabled endpoint gets nothing
 * more.
 */
import { Registry } from "prom-client";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../core/observability/logger.ts";
import { createTenantWithAdminKey } from "../../core/tenants/tenants.service.ts";
import { waitFor } from "../../dev/net.ts";
import { loadNotifyConfig } from "../../stream/notify/config.ts";
import { createDispatchStage } from "../../stream/notify/dispatch.stage.ts";
import { createOutboundAgents } from "../../stream/notify/outbound-http.ts";
import { type ServiceProcess, startService } from "../support/processes.ts";
import {
  addOutboxRows,
  endpointRow,
  outboxRows,
  sampleNotification,
  type TestDatabase,
  testDatabase,
} from "./outbox-fixtures.ts";
import { startWebhookReceiver, type WebhookReceiver } from "./receivers.ts";

const cleanups: (() => unknown)[] = [];
let t: TestDatabase;
let api: ServiceProcess;
let apiKey: string;
let receiver: WebhookReceiver;

beforeAll(async () => {
  t = await testDatabase();
  cleanups.push(() => t.close());
  receiver = await startWebhookReceiver([]);
  cleanups.push(() => receiver.close());
  const allow = { NOTIFY_OUTBOUND_ALLOWLIST: `127.0.0.1:${receiver.port}` };
  const tenant = await createTenantWithAdminKey(t.db, { name: "rotation", nowMs: Date.now() });
  apiKey = tenant.apiKey.key;
  api = await startService("api/node.ts", {
    DATABASE_URL: t.url,
    LOG_LEVEL: "warn",
    RATE_LIMIT_PER_S: "100000",
    RATE_LIMIT_BURST: "100000",
    ...allow,
  });
  cleanups.push(() => api.stop());
  const agents = createOutboundAgents({});
  const stage = await createDispatchStage({
    db: t.db,
    config: loadNotifyConfig({
      NOTIFY_POLL_INTERVAL_MS: "20",
      NOTIFY_RETRY_SCHEDULE: "0,50ms,100ms",
      ...allow,
    }),
    registry: new Registry(),
    logger: silentLogger,
    agents,
  });
  await stage.start();
  cleanups.push(
    () => agents.destroy(),
    () => stage.stop(),
  );
}, 120_000);

afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function call(path: string, json?: unknown, method = "POST") {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${apiKey}`,
      ...(json === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  return {
    status: res.status,
    body: (await res.json().catch(() => ({}))) as Record<string, string>,
  };
}

/** Asks the API for a test message and waits for it at the receiver. */
async function testSend(endpointId: string) {
  const res = await call(`/v1/webhooks/${endpointId}/test`);
  expect(res.status).toBe(202);
  const key = res.body.idempotencyKey as string;
  return waitFor("the test message", async () => receiver.received.find((r) => r.id === key), {
    timeoutMs: 30_000,
    intervalMs: 10,
  });
}

const verifies = (secret: string, r: { body: string; headers: Record<string, unknown> }) => {
  try {
    new Webhook(secret).verify(r.body, r.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
};

describe("secret rotation through the API", () => {
  it("graceMs 0: the message sent right after the answer verifies only with the new secret", async () => {
    const created = await call("/v1/webhooks", {
      url: `${receiver.url}/hooks`,
      format: "gridpulse",
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    let secret = created.body.secret as string;
    for (let round = 0; round < 3; round++) {
      // Delivered just now: the dispatcher holds the endpoint (and its secrets) in its cache.
      expect(verifies(secret, await testSend(id))).toBe(true);
      const rotated = await call(`/v1/webhooks/${id}/rotate-secret`, { graceMs: 0 });
      expect(rotated.status).toBe(200);
      const next = rotated.body.secret as string;
      const after = await testSend(id);
      expect({ round, old: verifies(secret, after), new: verifies(next, after) }).toEqual({
        round,
        old: false,
        new: true,
      });
      expect(String(after.headers["webhook-signature"]).split(" ")).toHaveLength(1);
      secret = next;
    }
  });

  it("with a grace period the message right after the answer verifies with both secrets", async () => {
    const created = await call("/v1/webhooks", {
      url: `${receiver.url}/grace`,
      format: "gridpulse",
    });
    const id = created.body.id as string;
    const old = created.body.secret as string;
    expect(verifies(old, await testSend(id))).toBe(true);
    const rotated = await call(`/v1/webhooks/${id}/rotate-secret`, { graceMs: 600_000 });
    const next = rotated.body.secret as string;
    const after = await testSend(id);
    expect([verifies(old, after), verifies(next, after)]).toEqual([true, true]);
  });

  it("a message written right after the endpoint was disabled through the API is cancelled, never sent", async () => {
    const created = await call("/v1/webhooks", { url: `${receiver.url}/off`, format: "gridpulse" });
    const id = created.body.id as string;
    const tenantId = (await endpointRow(t, id))?.tenantId as string;
    for (let round = 0; round < 3; round++) {
      if (round > 0)
        expect((await call(`/v1/webhooks/${id}`, { enabled: true }, "PATCH")).status).toBe(200);
      await testSend(id); // cached by the dispatcher, enabled
      expect((await call(`/v1/webhooks/${id}`, { enabled: false }, "PATCH")).status).toBe(200);
      // As the evaluator writes a notification: due at once.
      const key = `after-disable-${round}`;
      await addOutboxRows(t, [
        {
          tenantId,
          channel: "webhook",
          targetId: id,
          idempotencyKey: key,
          payload: { type: "alert", notification: sampleNotification(round) },
        },
      ]);
      const row = await waitFor(
        "the row to settle",
        async () =>
          (await outboxRows(t)).find((r) => r.idempotencyKey === key && r.status !== "pending"),
        { timeoutMs: 30_000, intervalMs: 20 },
      );
      expect(row.status).toBe("cancelled");
      expect(receiver.received.some((r) => r.id === key)).toBe(false);
    }
  });
});
