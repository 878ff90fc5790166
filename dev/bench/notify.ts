/**
 * `npm run bench:notify`: notification delivery throughput on loopback. A child process runs the
 * receivers of the integration tests (a webhook receiver verifying every request with the
 * `standardwebhooks` package, an HTTPS push service decrypting every message with `http_ece` and
 * verifying its VAPID JWT); this process sends through gridpulse's senders (SSRF guard, pinned
 * keep-alive agents, signing, encryption) with fixed concurrency for a few seconds per channel, and
 * prints deliveries/s, this process's CPU use (process.cpuUsage) and p50/p99 attempt latency.
 *
 * Options (env): BENCH_SECONDS (default 3 per channel), BENCH_CONCURRENCY (default 32).
 */
import { type ChildProcess, fork } from "node:child_process";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { parseAllowlist } from "../../core/notify/address-policy.ts";
import { generateWebhookSecret } from "../../core/notify/standard-webhooks.ts";
import { createPushSender } from "../../stream/notify/channels/push/push-sender.ts";
import {
  loadVapidKeys,
  memoryVapidKeyStore,
} from "../../stream/notify/channels/push/vapid-keys.ts";
import { createWebhookSender } from "../../stream/notify/channels/webhook/webhook-sender.ts";
import { createOutboundAgents } from "../../stream/notify/outbound-http.ts";
import { createOutboundGuard } from "../../stream/notify/ssrf.ts";
import { quantileOfSorted } from "./stats.ts";

interface Ready {
  webhookPort: number;
  pushPort: number;
  pushOrigin: string;
  plainWebhookPort: number;
  plainPushOrigin: string;
  plainPushPort: number;
  ca: string[];
  subscriberKeys: { p256dh: string; auth: string };
}
interface Stats {
  webhooksReceived: number;
  webhooksRejected: number;
  pushReceived: number;
  pushErrors: number;
}

async function runReceiver() {
  const { newSubscriber, selfSignedCertificate, startPushService, startWebhookReceiver } =
    await import("../../test/notify/receivers.ts");
  // Plain receivers answer at once without verifying, so the sender's own limit shows; the
  // verifying ones cost the receiver far more per message than sending does.
  const plainWebhook = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(204).end());
  });
  const tls = selfSignedCertificate("push.bench");
  const plainPush = https.createServer(tls, (req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(201).end());
  });
  await new Promise<void>((r) => plainWebhook.listen(0, "127.0.0.1", r));
  await new Promise<void>((r) => plainPush.listen(0, "127.0.0.1", r));
  const plainPushPort = (plainPush.address() as AddressInfo).port;
  const secret = process.env.BENCH_WEBHOOK_SECRET as string;
  const webhook = await startWebhookReceiver([secret]);
  const subscriber = newSubscriber();
  const push = await startPushService({
    hostname: "push.bench",
    vapidPublicKey: process.env.BENCH_VAPID_PUBLIC_KEY as string,
    subscribers: new Map([["/sub", subscriber]]),
  });
  const send = process.send?.bind(process) as (m: unknown) => void;
  process.on("message", (m) => {
    if (m === "stats") {
      const stats: Stats = {
        webhooksReceived: webhook.received.length,
        webhooksRejected: webhook.rejected,
        pushReceived: push.received.length,
        pushErrors: push.errors.length,
      };
      // Drop what was kept so memory stays flat between phases.
      webhook.received.length = 0;
      push.received.length = 0;
      send(stats);
    } else if (m === "stop") {
      plainWebhook.closeAllConnections();
      plainPush.closeAllConnections();
      plainWebhook.close();
      plainPush.close();
      void Promise.all([webhook.close(), push.close()]).then(() => process.exit(0));
    }
  });
  send({
    webhookPort: webhook.port,
    pushPort: push.port,
    pushOrigin: push.origin,
    plainWebhookPort: (plainWebhook.address() as AddressInfo).port,
    plainPushPort,
    plainPushOrigin: `https://push.bench:${plainPushPort}`,
    ca: [push.ca, tls.cert],
    subscriberKeys: subscriber.keys,
  } satisfies Ready);
}

async function measure(
  name: string,
  seconds: number,
  concurrency: number,
  attempt: (n: number) => Promise<{ outcome: string; durationMs: number }>,
) {
  // Warm-up: connections, JIT, key caches.
  const warm = Date.now() + 500;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; Date.now() < warm; i++) await attempt(w * 1e6 + i);
    }),
  );
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; performance.now() < end; i++) {
        const a = await attempt(1e9 + w * 1e6 + i);
        latencies.push(a.durationMs);
        outcomes[a.outcome] = (outcomes[a.outcome] ?? 0) + 1;
      }
    }),
  );
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  latencies.sort((a, b) => a - b);
  const delivered = outcomes.delivered ?? 0;
  return {
    channel: name,
    "delivered/s": Math.round(delivered / wallS),
    attempts: latencies.length,
    "not delivered": latencies.length - delivered,
    "CPU % of one core": Math.round((cpuS / wallS) * 100),
    "CPU µs/delivery": delivered ? Math.round((cpuS * 1e6) / delivered) : 0,
    "p50 ms": quantileOfSorted(latencies, 0.5).toFixed(2),
    "p99 ms": quantileOfSorted(latencies, 0.99).toFixed(2),
  };
}

async function runBench() {
  const seconds = Number(process.env.BENCH_SECONDS ?? 3);
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
  const secret = generateWebhookSecret();
  const vapid = await loadVapidKeys({ store: memoryVapidKeyStore() });
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ["--receiver"], {
    env: { ...process.env, BENCH_WEBHOOK_SECRET: secret, BENCH_VAPID_PUBLIC_KEY: vapid.publicKey },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const ask = <T>(message?: string) =>
    new Promise<T>((resolve, reject) => {
      child.once("message", (m) => resolve(m as T));
      child.once("exit", (code) => reject(new Error(`receiver exited (${code})`)));
      if (message) child.send(message);
    });
  try {
    const ready = await ask<Ready>();
    const agents = createOutboundAgents({ ca: ready.ca, maxSockets: concurrency });
    const guard = createOutboundGuard({
      resolve: async () => [{ address: "127.0.0.1", family: 4 }],
      allowlist: parseAllowlist(
        [ready.webhookPort, ready.pushPort, ready.plainWebhookPort, ready.plainPushPort]
          .map((port) => `127.0.0.1:${port}`)
          .join(","),
      ),
    });
    const webhooks = createWebhookSender({ guard, agents });
    const endpoint = { url: `http://127.0.0.1:${ready.webhookPort}/hook`, secrets: [{ secret }] };
    const body = JSON.stringify({
      type: "alert.firing",
      timestamp: new Date().toISOString(),
      data: {
        groupKey: "g",
        alerts: [{ fingerprint: "f", labels: { slo: "checkout", severity: "page" } }],
      },
    });
    const plainEndpoint = { ...endpoint, url: `http://127.0.0.1:${ready.plainWebhookPort}/hook` };
    const rows = [];
    rows.push(
      await measure("webhook → plain receiver", seconds, concurrency, (n) =>
        webhooks.send(plainEndpoint, { id: `msg_${n}`, body }),
      ),
    );
    rows.push(
      await measure("webhook → verifying receiver", seconds, concurrency, (n) =>
        webhooks.send(endpoint, { id: `msg_${n}`, body }),
      ),
    );
    const webhookStats = await ask<Stats>("stats");
    const push = createPushSender({
      vapid,
      subject: "mailto:bench@gridpulse.invalid",
      guard,
      agents,
      extraPushHosts: ["push.bench"],
    });
    const subscription = { endpoint: `${ready.pushOrigin}/sub`, keys: ready.subscriberKeys };
    const payload = JSON.stringify({
      v: 1,
      title: "checkout availability",
      body: "burning 14.4x",
      severity: "page",
    });
    const plainSubscription = { ...subscription, endpoint: `${ready.plainPushOrigin}/sub` };
    const message = (n: number) => ({
      id: `p_${n}`,
      payload,
      ttlS: 3600,
      urgency: "high" as const,
      topic: "t",
    });
    rows.push(
      await measure("push → plain service", seconds, concurrency, (n) =>
        push.send(plainSubscription, message(n)),
      ),
    );
    rows.push(
      await measure("push → decrypting service", seconds, concurrency, (n) =>
        push.send(subscription, message(n)),
      ),
    );
    const pushStats = await ask<Stats>("stats");
    console.table(rows);
    console.log(
      `receiver: ${webhookStats.webhooksReceived} webhooks (${webhookStats.webhooksRejected} failed standardwebhooks verification), ` +
        `${pushStats.pushReceived} push messages decrypted and VAPID-verified (${pushStats.pushErrors} errors); ` +
        `concurrency ${concurrency}, ${seconds} s per channel after 0.5 s warm-up, CPU is this (sending) process only.`,
    );
    agents.destroy();
  } finally {
    child.send("stop");
    await new Promise((resolve) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        resolve(undefined);
      }, 3000);
      child.once("exit", () => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
  }
}

if (process.argv.includes("--receiver")) {
  await runReceiver();
} else {
  await runBench();
}
