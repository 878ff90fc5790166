/**
 * Crash consistency of the alert evaluator: a worker running only the `alerts` stage is killed with
 * SIGKILL at random moments and restarted on the same database (each restart is a new lease holder and
 * waits for the dead one's lease to expire) while an outage starts and ends; another worker keeps the
 * windows up to date. Whatever the kills hit, the page tier is notified exactly twice per target —
 * firing (sequence 1), then resolved (sequence 2) — and its alert ends resolved; and
 * `alerts.transitions.v1` (read committed) carries every transition exactly once: per alert an
 * unbroken chain from inactive to its final state, no transition id twice.
 */
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { alerts, alertTransitionsOutbox, outbox } from "../../core/db/schema/index.ts";
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

describe("alert evaluator under SIGKILL", () => {
  it("notifies firing and resolved exactly once per target whatever the kills hit", async () => {
    const prefix = uniquePrefix();
    await createTopics(kafka, prefix);
    const timings = { STREAM_EVAL_INTERVAL_MS: "200", LOG_LEVEL: "warn" };
    const data = await startStreamWorker(prefix, {
      env: { ...timings, STREAM_STAGES: "aggregate,evaluate,market" },
    });
    running.push(data.worker);
    const database = await openDatabase({ url: data.databaseUrl });
    closers.push(database.close);
    const { db } = database;
    const service = `api-${randomUUID().slice(0, 8)}`;
    const { tenantId } = await createTenantWithAdminKey(db, { name: "crash", nowMs: Date.now() });
    await insertSlo(db, tenantId, "slo_api", fastBurnSlo(service));
    await insertFastPolicy(db, tenantId);
    await insertWebhook(db, tenantId, "whe_1");

    // The evaluator process: restarted as soon as it is killed, killed 0.3-1.2 s after each start.
    let stopping = false;
    let kills = 0;
    const evaluatorEnv = {
      ...timings,
      STREAM_STAGES: "alerts",
      STREAM_ALERT_EVAL_INTERVAL_MS: "100",
      STREAM_ALERT_LEASE_MS: "1000",
    };
    const chaos = (async () => {
      while (!stopping) {
        const started = await startStreamWorker(prefix, {
          env: evaluatorEnv,
          databaseUrl: data.databaseUrl,
        });
        running.push(started.worker);
        await new Promise((r) => setTimeout(r, 300 + Math.random() * 900));
        await started.worker.stop("SIGKILL");
        running.splice(running.indexOf(started.worker), 1);
        kills++;
      }
    })();

    const producer = eventProducer(kafka);
    await producer.connect();
    closers.push(() => void producer.disconnect());
    const topic = topicName(prefix, "requests");
    const rows = () => db.select().from(outbox).orderBy(outbox.createdAtMs, outbox.id);
    const isPage = (l: Record<string, string>) => l.tier === "page";

    await sendRequests(producer, topic, requests(service, 40, 503, Date.now()));
    await waitFor(
      "the firing notification",
      async () => (await rows()).some((r) => notificationOf(r).status === "firing"),
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    await new Promise((r) => setTimeout(r, 1500));
    await sendRequests(producer, topic, requests(service, 6000, 200, Date.now()));
    await waitFor(
      "the resolved notification",
      async () =>
        (await rows()).some((r) => notificationOf(r).status === "resolved" && lists(r, isPage)),
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    // A few more kill cycles after the last notification: nothing may be sent again.
    const killsBefore = kills;
    await waitFor("two more kills", async () => kills >= killsBefore + 2, {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    stopping = true;
    await chaos;
    console.log(`alert evaluator killed ${kills} times with SIGKILL`);

    const page = (await rows()).filter((r) => lists(r, isPage));
    expect(
      page.map((r) => [r.targetId, notificationOf(r).status, notificationOf(r).sequence]),
    ).toEqual([
      ["whe_1", "firing", 1],
      ["whe_1", "resolved", 2],
    ]);
    const states = await db.select().from(alerts);
    expect(states.find((r) => isPage(r.state.labels))?.status).toBe("resolved");

    // One more evaluator (not killed) publishes whatever the last kill left in the transitions outbox.
    const last = await startStreamWorker(prefix, {
      env: evaluatorEnv,
      databaseUrl: data.databaseUrl,
    });
    running.push(last.worker);
    await waitFor(
      "the transitions outbox to drain",
      async () => (await db.select().from(alertTransitionsOutbox)).length === 0,
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const final = new Map((await db.select().from(alerts)).map((r) => [r.id, r.status]));
    type Message = {
      id: string;
      fingerprint: string;
      from: string;
      to: string;
      tenantId: string;
      key?: string;
    };
    const seen: Message[] = [];
    const reader = kafka.consumer({ groupId: `reader-${randomUUID()}` });
    await reader.connect();
    closers.push(() => void reader.disconnect());
    await reader.subscribe({ topic: topicName(prefix, "alertTransitions"), fromBeginning: true });
    void reader.run({
      eachMessage: async ({ message }) => {
        seen.push({ ...(JSON.parse(String(message.value)) as Message), key: String(message.key) });
      },
    });
    const chains = () => {
      const by = new Map<string, Message[]>();
      for (const m of seen) by.set(m.fingerprint, [...(by.get(m.fingerprint) ?? []), m]);
      return by;
    };
    await waitFor(
      "every alert's transitions on the topic",
      async () =>
        [...final].every(([fp, status]) => chains().get(fp)?.at(-1)?.to === status) &&
        final.size > 0,
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    await new Promise((r) => setTimeout(r, 3000)); // anything published twice would show by now
    const ids = seen.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [fp, chain] of chains()) {
      expect(chain[0]?.from, fp).toBe("inactive");
      for (let i = 1; i < chain.length; i++) expect(chain[i]?.from).toBe(chain[i - 1]?.to);
      expect(chain.every((m) => m.tenantId === tenantId && m.key === fp)).toBe(true);
    }
    console.log(
      `alerts.transitions.v1 after ${kills} kills: ${seen.length} transitions, ${new Set(ids).size} distinct; ${[
        ...chains().values(),
      ]
        .map((c) => c.map((m) => m.to).join(">"))
        .join("; ")}`,
    );
  });
});
