/**
 * Node-only: Prometheus metrics of the database, for the processes that serve from one (the API and
 * the stream worker): how long group commits hold the event loop, the checkpoint thread's
 * checkpoints, and its failures (embedded file); requests a libSQL server refused. `observedDatabase` gives the `openDatabase` settings that feed them
 * and log the thread's failures.
 */
import { Counter, Histogram, type Registry, type RegistryContentType } from "prom-client";
import type { Logger } from "../../core/observability/logger.ts";
import type { DatabaseSettings } from "./open.ts";

export function databaseMetrics(registers: Registry<RegistryContentType>[]) {
  const groupCommits = new Histogram({
    name: "gridpulse_db_group_commit_seconds",
    help: "Embedded database: how long each group commit held the event loop (begin to commit).",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers,
  });
  const checkpoints = new Histogram({
    name: "gridpulse_db_wal_checkpoint_seconds",
    help: "Embedded database: WAL checkpoints of the checkpoint thread, by outcome (complete: every frame copied; partial; busy: another checkpoint ran).",
    labelNames: ["outcome"] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers,
  });
  const checkpointFailures = new Counter({
    name: "gridpulse_db_wal_checkpoint_failures_total",
    help: "Embedded database: failed checkpoints of the checkpoint thread, by what followed (retried, or gave_up: commits checkpoint again).",
    labelNames: ["outcome"] as const,
    registers,
  });
  const serverRefusals = new Counter({
    name: "gridpulse_db_server_refusals_total",
    help: "libSQL server: requests it refused with 429 (no connection free), by what followed (retried, or failed: past the request's deadline, answered 503).",
    labelNames: ["outcome"] as const,
    registers,
  });
  return {
    serverRefused: (retried: boolean) =>
      serverRefusals.inc({ outcome: retried ? "retried" : "failed" }),
    groupCommitted: (info: { batches: number; ms: number }) => {
      if (info.batches > 0) groupCommits.observe(info.ms / 1000);
    },
    checkpointed: (r: { walFrames: number; checkpointed: number; busy: boolean; ms: number }) =>
      checkpoints.observe(
        { outcome: r.busy ? "busy" : r.checkpointed >= r.walFrames ? "complete" : "partial" },
        r.ms / 1000,
      ),
    checkpointFailed: (outcome: "retried" | "gave_up") => checkpointFailures.inc({ outcome }),
  };
}

export type DatabaseMetrics = ReturnType<typeof databaseMetrics>;

/** The `openDatabase` settings that count into `metrics` and log the checkpoint thread's failures. */
export function observedDatabase(
  metrics: DatabaseMetrics,
  logger: Logger,
): Pick<
  DatabaseSettings,
  "onGroupCommit" | "onCheckpoint" | "onCheckpointRetry" | "onCheckpointFailure" | "onServerRefused"
> {
  return {
    onServerRefused: metrics.serverRefused,
    onGroupCommit: metrics.groupCommitted,
    onCheckpoint: metrics.checkpointed,
    onCheckpointRetry: (message) => {
      metrics.checkpointFailed("retried");
      logger.warn("wal checkpoint failed: trying again", { error: message });
    },
    onCheckpointFailure: (message) => {
      metrics.checkpointFailed("gave_up");
      logger.warn("wal checkpoint thread failed: commits checkpoint again", { error: message });
    },
  };
}
