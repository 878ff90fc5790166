/**
 * Node-only: Prometheus metrics of the database, for the processes that serve from one (the API and
 * the stream worker): how long group commits hold the event loop, the checkpoint thread's
 * checkpoints, and its failures (embedded file); on a libSQL server, the requests sent (grouped
 * reads and writes) and those it refused. `observedDatabase` gives the `openDatabase` settings that feed them
 * and log the thread's failures.
 */
import { Counter, Histogram, type Registry, type RegistryContentType } from "prom-client";
import type { RemoteWriteCounts } from "../../core/db/remote-database.ts";
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
  // The libSQL server client's own totals (`RemoteDatabase.counts`), read at scrape time: each
  // counter moves by what its total grew since the previous scrape.
  let remote: RemoteWriteCounts | undefined;
  const fromTotals = (
    name: string,
    help: string,
    totals: Record<string, (c: RemoteWriteCounts) => number>,
  ) => {
    const seen = new Map<string, number>();
    const labelled = Object.keys(totals).some((k) => k !== "");
    new Counter({
      name,
      help,
      labelNames: labelled ? ["kind"] : [],
      registers,
      collect() {
        if (!remote) return;
        for (const [kind, total] of Object.entries(totals)) {
          const now = total(remote);
          const grew = now - (seen.get(kind) ?? 0);
          seen.set(kind, now);
          if (grew > 0) {
            if (labelled) this.inc({ kind }, grew);
            else this.inc(grew);
          }
        }
      },
    });
  };
  fromTotals(
    "gridpulse_db_server_requests_total",
    "libSQL server: pipeline requests sent, by kind (read: a group of reads in one read transaction; write: a group of writes in one transaction).",
    { read: (c) => c.readGroups, write: (c) => c.groups },
  );
  fromTotals(
    "gridpulse_db_server_operations_total",
    "libSQL server: reads (statements) and writes (statements or batches) sent in those requests, by kind; operations over requests is the mean group size.",
    { read: (c) => c.reads, write: (c) => c.writes },
  );
  fromTotals(
    "gridpulse_db_server_expired_total",
    "libSQL server: reads and writes failed unsent after waiting longer than the deadline behind an unanswered request (503).",
    { "": (c) => c.expired },
  );
  fromTotals(
    "gridpulse_db_server_split_groups_total",
    "libSQL server: groups that failed on a statement and were run again one member at a time.",
    { "": (c) => c.split },
  );
  fromTotals(
    "gridpulse_db_server_combined_statements_total",
    "libSQL server: increment statements saved by combining a write group's increments into one per row.",
    { "": (c) => c.combined },
  );
  return {
    /** Exports the totals of a libSQL server client's queues (`RemoteDatabase.counts`). */
    observeRemote: (counts: RemoteWriteCounts) => {
      remote = counts;
    },
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
  | "onGroupCommit"
  | "onCheckpoint"
  | "onCheckpointRetry"
  | "onCheckpointFailure"
  | "onServerRefused"
  | "onServerCounts"
> {
  return {
    onServerRefused: metrics.serverRefused,
    onServerCounts: metrics.observeRemote,
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
