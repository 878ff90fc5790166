/**
 * Crash safety of the dispatcher: the real stream worker (`STREAM_STAGES=dispatch`) drains an outbox
 * of webhooks to a verifying receiver and is killed with SIGKILL twice mid-delivery, then restarted on
 * the same database. Its claims come back after the lease; afterwards every row is delivered, the
 * receiver got every message (exactly once after dedup by webhook-id, each verified with the
 * `standardwebhooks` package), and the worker's /metrics exports the gridpulse_notify_* families.
 */
import { afterAll, expect, it } from "vitest";
import { generateWebhookSecret } from "../../core/notify/standard-webhooks.ts";
import { waitFor } from "../../dev/net.ts";
import { uniquePrefix } from "../support/kafka.ts";
import { sampleValue, scrape } from "../support/metrics.ts";
import type { ServiceProcess } from "../support/processes.ts";
import { startStreamWorker } from "../support/stream.ts";
import {
  addEndpoint,
  addOutboxRows,
  addTenant,
  attemptsOf,
  sampleNotification,
  statusCounts,
  testDatabase,
} from "./outbox-fixtures.ts";
import { startWebhookReceiver } from "./receivers.ts";

const total = 3000;
const processes: ServiceProcess[] = [];
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop("SIGKILL")));
  for (const c of cleanups.reverse()) await c();
});

it(`${total} webhooks, 2 SIGKILLs mid-delivery: nothing lost, each message once after dedup`, async () => {
  const t = await testDatabase();
  cleanups.push(() => t.close());
  const tenant = await addTenant(t);
  const secret = generateWebhookSecret();
  const receiver = await startWebhookReceiver([secret]);
  cleanups.push(() => receiver.close());
  const endpoint = await addEndpoint(t, tenant, `${receiver.url}/in`, [
    { secret, createdAtMs: 0, expiresAtMs: null },
  ]);
  await addOutboxRows(
    t,
    Array.from({ length: total }, (_, i) => ({
      tenantId: tenant,
      channel: "webhook" as const,
      targetId: endpoint,
      idempotencyKey: `ntf_${i}`,
      payload: { type: "alert" as const, notification: sampleNotification(i) },
    })),
  );
  const prefix = uniquePrefix();
  const start = async () => {
    const { worker } = await startStreamWorker(prefix, {
      databaseUrl: t.url,
      env: {
        STREAM_STAGES: "dispatch",
        LOG_LEVEL: "warn",
        NOTIFY_OUTBOUND_ALLOWLIST: `127.0.0.1:${receiver.port}`,
        NOTIFY_RETRY_SCHEDULE: "0,100ms,200ms,300ms,500ms",
        NOTIFY_WEBHOOK_DEADLINE_MS: "1000",
        NOTIFY_PUSH_DEADLINE_MS: "1000",
        NOTIFY_LEASE_MS: "1500",
        NOTIFY_POLL_INTERVAL_MS: "50",
        NOTIFY_CONCURRENCY: "16",
      },
    });
    processes.push(worker);
    return worker;
  };
  const received = () => new Set(receiver.received.map((r) => r.id)).size;
  for (const target of [total * 0.2, total * 0.5]) {
    const worker = await start();
    await waitFor(`${target} messages received`, async () => received() >= target, {
      timeoutMs: 60_000,
      intervalMs: 10,
    });
    // Mid-delivery: requests are in flight and claims are held when the process dies.
    expect(await worker.stop("SIGKILL")).toBeNull();
    expect(received()).toBeLessThan(total);
  }
  const last = await start();
  await waitFor("every row delivered", async () => (await statusCounts(t)).delivered === total, {
    timeoutMs: 90_000,
    intervalMs: 100,
  });
  expect(await statusCounts(t)).toEqual({ delivered: total });
  expect(receiver.rejected).toBe(0);
  expect([...new Set(receiver.received.map((r) => r.id))].sort()).toEqual(
    Array.from({ length: total }, (_, i) => `ntf_${i}`).sort(),
  );
  // Re-sent only what a kill interrupted: at most a few leases' worth of in-flight requests.
  const duplicates = receiver.received.length - total;
  expect(duplicates).toBeLessThanOrEqual(2 * 16 + 20);
  // Each stored attempt matches the row's counter (none is half-written).
  expect((await attemptsOf(t)).filter((a) => a.outcome === "delivered")).toHaveLength(total);

  const metrics = await scrape(last.url);
  expect(
    sampleValue(metrics, "gridpulse_notify_deliveries_total", { channel: "webhook" }),
  ).toBeGreaterThan(0);
  expect(metrics).toContain('gridpulse_notify_retry_backlog{channel="webhook"}');
  expect(metrics).toContain('gridpulse_notify_retry_backlog{channel="push"} 0');
  expect(metrics).toContain("gridpulse_notify_endpoints_disabled");
  expect(metrics).toContain("gridpulse_notify_attempt_duration_seconds_bucket");
  expect(await last.stop("SIGTERM")).toBe(0);
});
