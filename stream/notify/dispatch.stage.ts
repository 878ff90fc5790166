/**
 * The `dispatch` stage of the stream worker: builds the dispatcher from the NOTIFY_* / VAPID_*
 * settings (SSRF guard with the allowlist, webhook and push senders on shared keep-alive agents, VAPID
 * keys from configuration or the database) with its metrics in the worker's registry.
 */
import type { Registry } from "prom-client";
import type { EnvSource } from "../../core/config/env.ts";
import { type Database, libsqlClient } from "../../core/db/database.ts";
import { defaultPushRetryPolicy, defaultWebhookRetryPolicy } from "../../core/notify/retry.ts";
import type { Logger } from "../../core/observability/logger.ts";
import { type DatabaseSettings, openDatabase } from "../../platform/db/open.ts";
import { disableAfterMs, loadNotifyConfig, type NotifyConfig } from "./config.ts";
import { createDispatcher, type Dispatcher } from "./dispatcher.ts";
import { createNotifyMetrics, type NotifyMetrics } from "./metrics.ts";
import { createOutboundAgents, type OutboundAgents } from "./outbound-http.ts";
import { createOutboxStore } from "./outbox-store.ts";
import { createPushSender } from "./push-sender.ts";
import { createOutboundGuard, type NameResolver } from "./ssrf.ts";
import { databaseVapidKeyStore } from "./vapid-key-store.ts";
import { loadVapidKeys } from "./vapid-keys.ts";
import { createWebhookSender } from "./webhook-sender.ts";

export interface DispatchStageOptions {
  /**
   * The database to open a dedicated connection to (preferred): the dispatcher then writes through
   * one connection that has openDatabase's busy timeout and `synchronous = normal`, whatever else
   * the process does with its own pool.
   */
  database?: DatabaseSettings;
  /** Or a handle to share (tests): its pool may hand out connections without those pragmas. */
  db?: Database;
  env?: EnvSource;
  /** Parsed settings (default: loadNotifyConfig(env)). */
  config?: NotifyConfig;
  /** The worker's registry: gridpulse_notify_* are exported on its /metrics. */
  registry?: Registry;
  metrics?: NotifyMetrics;
  logger: Logger;
  agents?: OutboundAgents;
  /** Tests: resolve names without DNS. */
  resolve?: NameResolver;
  clock?: () => number;
  random?: () => number;
}

export interface DispatchStage {
  name: "dispatch";
  dispatcher: Dispatcher;
  publicVapidKey: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  isJoined(): boolean;
}

export async function createDispatchStage(options: DispatchStageOptions): Promise<DispatchStage> {
  const config = options.config ?? loadNotifyConfig(options.env ?? {});
  const own = options.database ? await openDatabase(options.database) : undefined;
  const db = own?.db ?? options.db;
  if (!db) throw new Error("the dispatch stage needs `database` or `db`");
  const client = libsqlClient(db);
  const metrics =
    options.metrics ?? createNotifyMetrics(options.registry ? [options.registry] : []);
  const agents = options.agents ?? createOutboundAgents({ maxSockets: config.NOTIFY_CONCURRENCY });
  const guardOptions = {
    allowlist: config.NOTIFY_OUTBOUND_ALLOWLIST,
    ...(options.resolve ? { resolve: options.resolve } : {}),
  };
  const clock = options.clock ?? Date.now;
  const webhookSender = createWebhookSender({
    guard: createOutboundGuard(guardOptions),
    deadlineMs: config.NOTIFY_WEBHOOK_DEADLINE_MS,
    excerptBytes: config.NOTIFY_RESPONSE_EXCERPT_BYTES,
    metrics,
    agents,
    clock,
  });
  const vapid = await loadVapidKeys({
    configured: {
      ...(config.VAPID_PUBLIC_KEY ? { publicKey: config.VAPID_PUBLIC_KEY } : {}),
      ...(config.VAPID_PRIVATE_KEY ? { privateKey: config.VAPID_PRIVATE_KEY } : {}),
    },
    store: databaseVapidKeyStore(client),
  });
  const pushSender = createPushSender({
    vapid,
    subject: config.VAPID_SUBJECT,
    guard: createOutboundGuard({ ...guardOptions, protocols: ["https:"] }),
    extraPushHosts: config.NOTIFY_PUSH_HOSTS,
    deadlineMs: config.NOTIFY_PUSH_DEADLINE_MS,
    excerptBytes: config.NOTIFY_RESPONSE_EXCERPT_BYTES,
    metrics,
    agents,
    clock,
  });
  const policy = {
    scheduleMs: config.NOTIFY_RETRY_SCHEDULE,
    jitterRatio: config.NOTIFY_RETRY_JITTER,
  };
  const dispatcher = createDispatcher({
    store: createOutboxStore(client),
    webhookSender,
    pushSender,
    metrics,
    logger: options.logger.child({ stage: "dispatch" }),
    clock,
    ...(options.random ? { random: options.random } : {}),
    settings: {
      concurrency: config.NOTIFY_CONCURRENCY,
      pollIntervalMs: config.NOTIFY_POLL_INTERVAL_MS,
      batchSize: config.NOTIFY_BATCH_SIZE,
      leaseMs: config.NOTIFY_LEASE_MS,
      disableAfterMs: disableAfterMs(config),
      pushTtlS: config.NOTIFY_PUSH_TTL_S,
      externalURL: config.NOTIFY_EXTERNAL_URL,
      gaugesIntervalMs: config.NOTIFY_GAUGES_INTERVAL_MS,
      webhookPolicy: { ...defaultWebhookRetryPolicy, ...policy },
      pushPolicy: { ...defaultPushRetryPolicy, ...policy },
    },
  });
  return {
    name: "dispatch",
    dispatcher,
    publicVapidKey: vapid.publicKey,
    async start() {
      dispatcher.start();
    },
    async stop() {
      await dispatcher.stop();
      webhookSender.close();
      pushSender.close();
      if (!options.agents) agents.destroy();
      own?.close();
    },
    isJoined: () => dispatcher.isRunning(),
  };
}
