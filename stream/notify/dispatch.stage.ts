/**
 * The `dispatch` stage of the stream worker: builds every registered channel (channels/registry.ts:
 * each builds its sender from the NOTIFY_* / VAPID_* settings, on shared keep-alive agents) and the
 * dispatcher over them, with its metrics in the worker's registry.
 */
import type { Registry } from "prom-client";
import type { EnvSource } from "../../core/config/env.ts";
import { type Database, libsqlClient } from "../../core/db/database.ts";
import type { Logger } from "../../core/observability/logger.ts";
import { type DatabaseSettings, openDatabase } from "../../platform/db/open.ts";
import { type ChannelModule, createChannels } from "./channels/channel.ts";
import { notifyChannelRegistry } from "./channels/registry.ts";
import { loadNotifyConfig, type NotifyConfig } from "./config.ts";
import { createDispatcher, type Dispatcher } from "./dispatcher.ts";
import { createNotifyMetrics, type NotifyMetrics } from "./metrics.ts";
import { createOutboundAgents, type OutboundAgents } from "./outbound-http.ts";
import { createOutboxStore } from "./outbox-store.ts";
import type { NameResolver } from "./ssrf.ts";

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
  /** The channels to build (default: notifyChannelRegistry). */
  channels?: Readonly<Record<string, ChannelModule>>;
}

export interface DispatchStage {
  name: "dispatch";
  dispatcher: Dispatcher;
  start(): Promise<void>;
  stop(): Promise<void>;
  isJoined(): boolean;
  downReason: string;
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
  const clock = options.clock ?? Date.now;
  const logger = options.logger.child({ stage: "dispatch" });
  const channels = await createChannels(options.channels ?? notifyChannelRegistry, {
    client,
    config,
    metrics,
    logger,
    agents,
    clock,
    ...(options.resolve ? { resolve: options.resolve } : {}),
  });
  const dispatcher = createDispatcher({
    store: createOutboxStore(client),
    channels,
    metrics,
    logger,
    clock,
    ...(options.random ? { random: options.random } : {}),
    settings: {
      concurrency: config.NOTIFY_CONCURRENCY,
      pollIntervalMs: config.NOTIFY_POLL_INTERVAL_MS,
      batchSize: config.NOTIFY_BATCH_SIZE,
      leaseMs: config.NOTIFY_LEASE_MS,
      gaugesIntervalMs: config.NOTIFY_GAUGES_INTERVAL_MS,
    },
  });
  return {
    name: "dispatch",
    dispatcher,
    async start() {
      dispatcher.start();
    },
    async stop() {
      await dispatcher.stop();
      for (const channel of channels.values()) channel.close();
      if (!options.agents) agents.destroy();
      own?.close();
    },
    isJoined: () => dispatcher.isRunning(),
    downReason: "stopped, or its last outbox poll failed (database unavailable)",
  };
}
