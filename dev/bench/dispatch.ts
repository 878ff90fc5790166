/**
 * `npm run bench:dispatch`: throughput of the whole dispatcher. N outbox rows are written to a fresh
 * libSQL file (as the evaluator writes them); the dispatcher of the stream worker's `dispatch` stage
 * then drains them: claim by compare-and-set, render, sign (Standard Webhooks) or encrypt (Web Push),
 * send over keep-alive to a loopback receiver in a child process, store the attempt and the row update
 * in one transaction. Prints deliveries/s, this process's CPU time (process.cpuUsage) and peak RSS.
 *
 * Options (env): BENCH_WEBHOOKS (default 5000), BENCH_PUSH (default 1000), BENCH_CONCURRENCY
 * (default 32), BENCH_MAX_SECONDS (default 60: a phase stops there, whatever is left).
 */
import { type ChildProcess, fork } from "node:child_process";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { libsqlClient } from "../../core/db/database.ts";
import type { OutboxChannel } from "../../core/notify/outbox-payload.ts";
import { generateWebhookSecret } from "../../core/notify/standard-webhooks.ts";
import { silentLogger } from "../../core/observability/logger.ts";
import {
  loadVapidKeys,
  memoryVapidKeyStore,
} from "../../stream/notify/channels/push/vapid-keys.ts";
import { loadNotifyConfig } from "../../stream/notify/config.ts";
import { createDispatchStage } from "../../stream/notify/dispatch.stage.ts";
import { createOutboundAgents } from "../../stream/notify/outbound-http.ts";
import {
  addEndpoint,
  addOutboxRows,
  addSubscription,
  addTenant,
  sampleNotification,
  testDatabase,
} from "../../test/notify/outbox-fixtures.ts";

interface Ready {
  webhookPort: number;
  pushPort: number;
  ca: string;
}

/** Child: receivers that answer at once (2xx) and count what arrived, so the dispatcher is the limit. */
async function runReceiver() {
  const { selfSignedCertificate } = await import("../../test/notify/receivers.ts");
  const ids = new Set<string>();
  let webhooks = 0;
  let pushes = 0;
  const webhook = http.createServer((req, res) => {
    ids.add(String(req.headers["webhook-id"]));
    webhooks++;
    req.resume();
    req.on("end", () => res.writeHead(204).end());
  });
  const tls = selfSignedCertificate("push.bench");
  const push = https.createServer(tls, (req, res) => {
    pushes++;
    req.resume();
    req.on("end", () => res.writeHead(201).end());
  });
  await new Promise<void>((r) => webhook.listen(0, "127.0.0.1", r));
  await new Promise<void>((r) => push.listen(0, "127.0.0.1", r));
  const send = process.send?.bind(process) as (m: unknown) => void;
  process.on("message", (m) => {
    if (m === "stats") send({ webhooks, uniqueWebhooks: ids.size, pushes });
    else if (m === "stop") {
      webhook.closeAllConnections();
      push.closeAllConnections();
      webhook.close();
      push.close();
      process.exit(0);
    }
  });
  send({
    webhookPort: (webhook.address() as AddressInfo).port,
    pushPort: (push.address() as AddressInfo).port,
    ca: tls.cert,
  } satisfies Ready);
}

async function runBench() {
  const webhookRows = Number(process.env.BENCH_WEBHOOKS ?? 5000);
  const pushRows = Number(process.env.BENCH_PUSH ?? 1000);
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
  const maxSeconds = Number(process.env.BENCH_MAX_SECONDS ?? 60);
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ["--receiver"], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const ask = <T>(message?: string) =>
    new Promise<T>((resolve, reject) => {
      child.once("message", (m) => resolve(m as T));
      child.once("exit", (code) => reject(new Error(`receiver exited (${code})`)));
      if (message) child.send(message);
    });
  const t = await testDatabase();
  try {
    const ready = await ask<Ready>();
    const tenant = await addTenant(t);
    const secret = generateWebhookSecret();
    const endpoint = await addEndpoint(t, tenant, `http://127.0.0.1:${ready.webhookPort}/hook`, [
      { secret, createdAtMs: 0, expiresAtMs: null },
    ]);
    const { newSubscriber } = await import("../../test/notify/receivers.ts");
    const subscription = await addSubscription(
      t,
      tenant,
      `https://push.bench:${ready.pushPort}/sub`,
      newSubscriber().keys,
    );
    const vapid = await loadVapidKeys({ store: memoryVapidKeyStore() });
    const agents = createOutboundAgents({ ca: ready.ca, maxSockets: concurrency });
    const startRssMb = Math.round(process.memoryUsage().rss / 2 ** 20);
    let peakRssMb = 0;
    const rssTimer = setInterval(() => {
      peakRssMb = Math.max(peakRssMb, process.memoryUsage().rss / 2 ** 20);
    }, 50);
    const stage = await createDispatchStage({
      database: { url: t.url },
      config: loadNotifyConfig({
        NOTIFY_OUTBOUND_ALLOWLIST: `127.0.0.1:${ready.webhookPort},127.0.0.1:${ready.pushPort}`,
        NOTIFY_PUSH_HOSTS: "push.bench",
        NOTIFY_CONCURRENCY: String(concurrency),
        NOTIFY_POLL_INTERVAL_MS: "20",
        VAPID_PUBLIC_KEY: vapid.publicKey,
        VAPID_PRIVATE_KEY: vapid.privateKey,
      }),
      logger: silentLogger,
      agents,
      resolve: async () => [{ address: "127.0.0.1", family: 4 }],
    });

    const phase = async (name: string, rows: number, channel: OutboxChannel, targetId: string) => {
      const offset = Date.now();
      // Written not yet due, then released at once: the phase measures draining, not inserting.
      await addOutboxRows(
        t,
        Array.from({ length: rows }, (_, i) => ({
          tenantId: tenant,
          channel,
          targetId,
          idempotencyKey: `${channel}_${offset}_${i}`,
          payload: { type: "alert" as const, notification: sampleNotification(i) },
          nextAttemptAtMs: Number.MAX_SAFE_INTEGER,
        })),
      );
      const client = libsqlClient(t.db);
      const deliveredCount = async () =>
        Number(
          (
            await client.execute({
              sql: "SELECT count(*) AS n FROM outbox WHERE channel = ? AND status = 'delivered'",
              args: [channel],
            })
          ).rows[0]?.n ?? 0,
        );
      const before = await deliveredCount();
      peakRssMb = process.memoryUsage().rss / 2 ** 20;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await client.execute({
        sql: "UPDATE outbox SET next_attempt_at_ms = ? WHERE channel = ? AND status = 'pending'",
        args: [Date.now(), channel],
      });
      const deadline = t0 + maxSeconds * 1000;
      let delivered = 0;
      while (delivered < rows && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        delivered = (await deliveredCount()) - before;
      }
      const wallS = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const cpuS = (cpu.user + cpu.system) / 1e6;
      return {
        phase: name,
        rows,
        delivered,
        "delivered/s": Math.round(delivered / wallS),
        "wall s": wallS.toFixed(2),
        "CPU s": cpuS.toFixed(2),
        "CPU µs/delivery": delivered ? Math.round((cpuS * 1e6) / delivered) : 0,
        "peak RSS MB": Math.round(peakRssMb),
      };
    };

    await stage.start();
    const results = [];
    results.push(await phase("webhook (sign + HTTP keep-alive)", webhookRows, "webhook", endpoint));
    results.push(await phase("web push (encrypt + VAPID, HTTPS)", pushRows, "push", subscription));
    clearInterval(rssTimer);
    await stage.stop();
    agents.destroy();
    const stats = await ask<{ webhooks: number; uniqueWebhooks: number; pushes: number }>("stats");
    console.table(results);
    console.log(
      `RSS before the phases (database, receivers' modules, senders loaded): ${startRssMb} MB`,
    );
    console.log(
      `receiver: ${stats.webhooks} webhook requests (${stats.uniqueWebhooks} distinct webhook-ids), ${stats.pushes} push messages; concurrency ${concurrency}`,
    );
  } finally {
    child.send("stop");
    t.close();
  }
}

if (process.argv.includes("--receiver")) await runReceiver();
else await runBench();
