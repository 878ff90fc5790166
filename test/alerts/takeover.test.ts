/**
 * The evaluator lease across real processes: worker A (alerts stage only) takes the lease first;
 * worker B (all stages, sharing A's database) stands by. A notifies the outage, is killed with
 * SIGKILL mid-run, and B takes over once A's lease expires, carrying on from the persisted groups:
 * the outage's end is notified once as the group's next notification (sequence 2), and the firing
 * notification is never sent twice.
 */
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { outbox } from "../../core/db/schema/index.ts";
import type { RequestEventInput } from "../../core/events/request-event.ts";
import { topicName } from "../../core/events/topics.ts";
import { createTenantWithAdminKey } from "../../core/tenants/tenants.service.ts";
import { waitFor } from "../../dev/net.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { eventProducer } from "../../platform/kafka.ts";
import {
  fastBurnSlo,
  insertFastPolicy,
  insertSlo,
  insertWebhook,
} from "../../stream/alerts/testing.ts";
import { createTopics, testKafka, uniquePrefix } from "../support/kafka.ts";
import { sampleValue, scrape } from "../support/metrics.ts";
import type { ServiceProcess } from "../support/processes.ts";
import { startStreamWorker } from "../support/stream.ts";
import { lists, notificationOf, requests, sendRequests } from "./fixtures.ts";

const kafka = testKafka();
const running: ServiceProcess[] = [];
const closers: (() => void)[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop("SIGKILL")));
  for (const close of closers.splice(0)) close();
});

const leaseHeld = async (worker: ServiceProcess) =>
  sampleValue(await scrape(worker.url), "gridpulse_alert_evaluator_lease_held", {});

describe("alert evaluator lease: standby takes over after the holder dies", () => {
  it("B carries on from A's persisted state without repeating a notification", async () => {
    const prefix = uniquePrefix();
    await createTopics(kafka, prefix);
    const env = {
      STREAM_EVAL_INTERVAL_MS: "200",
      STREAM_ALERT_EVAL_INTERVAL_MS: "200",
      STREAM_ALERT_LEASE_MS: "2000",
      LOG_LEVEL: "warn",
    };
    const a = await startStreamWorker(prefix, { env: { ...env, STREAM_STAGES: "alerts" } });
    running.push(a.worker);
    await waitFor("A to hold the lease", async () => (await leaseHeld(a.worker)) === 1, {
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    const b = await startStreamWorker(prefix, { env, databaseUrl: a.databaseUrl });
    running.push(b.worker);
    await new Promise((r) => setTimeout(r, 600));
    expect(await leaseHeld(b.worker)).toBe(0);

    const database = await openDatabase({ url: a.databaseUrl });
    closers.push(database.close);
    const { db } = database;
    const nowMs = Date.now();
    const service = `api-${randomUUID().slice(0, 8)}`;
    const { tenantId } = await createTenantWithAdminKey(db, { name: "takeover", nowMs });
    await insertSlo(db, tenantId, "slo_api", fastBurnSlo(service));
    await insertFastPolicy(db, tenantId);
    await insertWebhook(db, tenantId, "whe_1");

    const producer = eventProducer(kafka);
    await producer.connect();
    closers.push(() => void producer.disconnect());
    const send = (events: RequestEventInput[]) =>
      sendRequests(producer, topicName(prefix, "requests"), events);
    const rows = () => db.select().from(outbox).orderBy(outbox.createdAtMs, outbox.id);
    const isPage = (l: Record<string, string>) => l.tier === "page";

    await send(requests(service, 40, 503, Date.now()));
    await waitFor(
      "A's firing notification",
      async () => (await rows()).some((r) => notificationOf(r).status === "firing"),
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    expect(await leaseHeld(a.worker)).toBe(1);

    const killedAtMs = Date.now();
    await a.worker.stop("SIGKILL");
    await waitFor("B to take the lease over", async () => (await leaseHeld(b.worker)) === 1, {
      timeoutMs: 10_000,
      intervalMs: 50,
    });
    console.log(`lease takeover: ${Date.now() - killedAtMs} ms after SIGKILL (lease 2000 ms)`);

    await send(requests(service, 6000, 200, Date.now()));
    await waitFor(
      "B's resolved notification",
      async () =>
        (await rows()).some((r) => notificationOf(r).status === "resolved" && lists(r, isPage)),
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    await new Promise((r) => setTimeout(r, 600));
    const all = (await rows()).filter((r) => lists(r, isPage));
    expect(all.map((r) => [notificationOf(r).status, notificationOf(r).sequence])).toEqual([
      ["firing", 1],
      ["resolved", 2],
    ]);
    expect(new Set(all.map((r) => notificationOf(r).groupKey)).size).toBe(1);
  });
});
