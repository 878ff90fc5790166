/**
 * Sharded alert evaluation across real processes: three stream workers run only the `alerts` stage
 * (12 shards, so 4 each) next to a worker running stages 1 and 2 and the dispatcher, all on one
 * libSQL file and a real broker. Six tenants (an SLO with one page tier on its own service, two
 * webhook endpoints at two real HTTP receivers) get an outage; as soon as the first firing
 * notification is in the outbox, the evaluator holding the first tenant's shard is killed with
 * SIGKILL. The two survivors take its shards over (6 each; the time from SIGKILL is printed), every
 * tenant's page arrives exactly once at each receiver, and after the outage ends exactly one
 * resolved notification follows (the same group, continued by whichever process owns it).
 */
import { afterEach, describe, expect, it } from "vitest";
import { libsqlClient } from "../../core/db/database.ts";
import { outbox, webhookEndpoints } from "../../core/db/schema/index.ts";
import type { RequestEventInput } from "../../core/events/request-event.ts";
import { topicName } from "../../core/events/topics.ts";
import { generateWebhookSecret } from "../../core/notify/standard-webhooks.ts";
import { waitFor } from "../../dev/net.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { eventProducer } from "../../platform/kafka.ts";
import { tenantShard } from "../../stream/alerts/shards.ts";
import { insertFastPolicy, insertSlo, insertTenant } from "../../stream/alerts/testing.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../notify/receivers.ts";
import { createTopics, testKafka, uniquePrefix } from "../support/kafka.ts";
import { sampleValue, scrape } from "../support/metrics.ts";
import type { ServiceProcess } from "../support/processes.ts";
import { startStreamWorker } from "../support/stream.ts";
import { requests, sendRequests } from "./fixtures.ts";

const kafka = testKafka();
const running: ServiceProcess[] = [];
const closers: (() => unknown)[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop("SIGKILL")));
  for (const close of closers.splice(0)) await close();
});

const shards = 12;
const shardsHeld = async (worker: ServiceProcess) =>
  sampleValue(await scrape(worker.url), "gridpulse_alert_shards_held", {});

type Body = { data: { status: string; alerts: { labels: Record<string, string> }[] } };

describe("sharded alert evaluation", () => {
  it("spreads shards over three processes; SIGKILL of one: its shards move, each page arrives once per target", async () => {
    const prefix = uniquePrefix();
    await createTopics(kafka, prefix);
    const receivers: WebhookReceiver[] = [
      await startWebhookReceiver([]),
      await startWebhookReceiver([]),
    ];
    for (const r of receivers) closers.push(() => r.close());
    const env = {
      STREAM_EVAL_INTERVAL_MS: "200",
      STREAM_ALERT_EVAL_INTERVAL_MS: "200",
      STREAM_ALERT_LEASE_MS: "2000",
      STREAM_ALERT_SHARDS: String(shards),
      NOTIFY_OUTBOUND_ALLOWLIST: receivers.map((r) => `127.0.0.1:${r.port}`).join(","),
      NOTIFY_RETRY_SCHEDULE: "0,1s,2s,5s",
      LOG_LEVEL: "warn",
    };
    const pipeline = await startStreamWorker(prefix, {
      env: { ...env, STREAM_STAGES: "aggregate,evaluate,dispatch" },
    });
    running.push(pipeline.worker);
    const evaluators: ServiceProcess[] = [];
    for (let i = 0; i < 3; i++) {
      const e = await startStreamWorker(prefix, {
        env: { ...env, STREAM_STAGES: "alerts" },
        databaseUrl: pipeline.databaseUrl,
      });
      running.push(e.worker);
      evaluators.push(e.worker);
    }
    await waitFor(
      "the shards spread 4/4/4",
      async () => (await Promise.all(evaluators.map(shardsHeld))).every((n) => n === 4),
      { timeoutMs: 30_000, intervalMs: 100 },
    );

    const database = await openDatabase({ url: pipeline.databaseUrl });
    closers.push(database.close);
    const { db } = database;
    const run = Date.now().toString(36);
    const tenants = Array.from({ length: 6 }, (_, i) => ({
      id: `ten_${run}_${i}`,
      service: `shard-${run}-${i}`,
      sloId: `slo_${run}_${i}`,
    }));
    for (const t of tenants) {
      await insertTenant(db, t.id);
      await insertSlo(db, t.id, t.sloId, {
        name: `${t.service} availability`,
        service: t.service,
        sli: { kind: "availability" },
        objective: 0.99,
        window: { kind: "rolling", days: 1 },
        tiers: [
          {
            name: "page",
            severity: "page",
            longWindow: "5m",
            shortWindow: "2m",
            budgetConsumed: 0.035,
          },
        ],
        minEvents: 10,
      });
      await insertFastPolicy(db, t.id);
      for (const [i, r] of receivers.entries()) {
        await db.insert(webhookEndpoints).values({
          id: `whe_${t.id}_${i}`,
          tenantId: t.id,
          url: `http://127.0.0.1:${r.port}/hook`,
          format: "gridpulse",
          secrets: [
            { secret: generateWebhookSecret(), createdAtMs: Date.now(), expiresAtMs: null },
          ],
          createdAtMs: Date.now(),
          updatedAtMs: Date.now(),
        });
      }
    }
    const shardSpread = new Set(tenants.map((t) => tenantShard(t.id, shards)));
    console.log(`tenants in shards ${[...shardSpread].sort((a, b) => a - b).join(",")}`);

    // The evaluator owning the first tenant's shard (its holder id carries its pid).
    const owner = await libsqlClient(db).execute({
      sql: "select holder from leases where name = ?",
      args: [`alert-evaluator/shard/${tenantShard(tenants[0]?.id as string, shards)}`],
    });
    const holder = String(owner.rows[0]?.holder);
    const victim = evaluators.find((e) => holder.includes(`:${e.proc.pid}:`));
    if (!victim) throw new Error(`no evaluator matches the shard holder ${holder}`);
    const survivors = evaluators.filter((e) => e !== victim);

    const producer = eventProducer(kafka);
    await producer.connect();
    closers.push(() => producer.disconnect());
    const send = (events: RequestEventInput[]) =>
      sendRequests(producer, topicName(prefix, "requests"), events);
    const statuses = () =>
      db
        .select({ payload: outbox.payload })
        .from(outbox)
        .then((rows) =>
          rows.map((r) => (r.payload as { notification: { status: string } }).notification.status),
        );

    await send(tenants.flatMap((t) => requests(t.service, 40, 503, Date.now())));
    await waitFor(
      "a firing notification in the outbox",
      async () => (await statuses()).includes("firing"),
      {
        timeoutMs: 60_000,
        intervalMs: 50,
      },
    );
    const killedAtMs = Date.now();
    await victim.stop("SIGKILL");
    await waitFor(
      "the survivors to hold every shard (6/6)",
      async () => (await Promise.all(survivors.map(shardsHeld))).every((n) => n === shards / 2),
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    console.log(
      `shards rebalanced ${Date.now() - killedAtMs} ms after SIGKILL (lease 2000 ms, interval 200 ms)`,
    );

    const deliveries = (r: WebhookReceiver, sloId: string, status: string) =>
      r.received.filter((w) => {
        const body = JSON.parse(w.body) as Body;
        return (
          body.data?.status === status && body.data.alerts.some((a) => a.labels.slo_id === sloId)
        );
      });
    await waitFor(
      "every page at both receivers",
      async () =>
        receivers.every((r) => tenants.every((t) => deliveries(r, t.sloId, "firing").length > 0)),
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    await send(tenants.flatMap((t) => requests(t.service, 6000, 200, Date.now())));
    await waitFor(
      "every resolution at both receivers",
      async () =>
        receivers.every((r) => tenants.every((t) => deliveries(r, t.sloId, "resolved").length > 0)),
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    // Time for a duplicate to show up, if one were coming.
    await new Promise((r) => setTimeout(r, 2000));
    for (const r of receivers) {
      for (const t of tenants) {
        expect(deliveries(r, t.sloId, "firing").length, `${t.id} firing`).toBe(1);
        expect(deliveries(r, t.sloId, "resolved").length, `${t.id} resolved`).toBe(1);
      }
      const ids = r.received.map((w) => w.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
  }, 240_000);
});
