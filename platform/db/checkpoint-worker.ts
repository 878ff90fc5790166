/**
 * Thread of platform/db/checkpoints.ts: every `intervalMs`, if the WAL file changed since the last
 * complete checkpoint, runs a passive checkpoint on its own connection. Each call into libSQL is
 * bracketed by the shared state word (idle → busy → idle) so that the process never tears this thread
 * down inside one.
 */
import { statSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import Database from "libsql";
import {
  BUSY,
  type CheckpointReport,
  type CheckpointWorkerData,
  IDLE,
  STOPPED,
} from "./checkpoints.ts";

const { path, intervalMs, state } = workerData as CheckpointWorkerData;

interface CheckpointStatement {
  raw(toggle?: boolean): CheckpointStatement;
  all(args: unknown[]): unknown[][];
}

/** Runs `call` unless the thread was stopped; returns undefined then. */
function guarded<T>(call: () => T): T | undefined {
  if (Atomics.compareExchange(state, 0, IDLE, BUSY) !== IDLE) return undefined;
  try {
    return call();
  } finally {
    Atomics.store(state, 0, IDLE);
    Atomics.notify(state, 0);
  }
}

const report = (message: CheckpointReport) => parentPort?.postMessage(message);

let connection: InstanceType<typeof Database> | undefined;
let statement: CheckpointStatement | undefined;
/** Checkpoints failed in a row; at GIVE_UP_AFTER the thread reports and stops. */
let failures = 0;
const GIVE_UP_AFTER = 5;
/** The WAL's size and modification time before the last checkpoint that left no frame behind. */
let settled = "";

function walStamp(): string {
  try {
    const s = statSync(`${path}-wal`, { bigint: true });
    return `${s.size}:${s.mtimeNs}`;
  } catch {
    return ""; // no WAL yet (or the database was closed by its last connection)
  }
}

function tick(): void {
  if (Atomics.load(state, 0) === STOPPED) {
    clearInterval(timer);
    return;
  }
  const stamp = walStamp();
  if (stamp === "" || stamp === settled) return;
  const started = performance.now();
  let row: unknown[] | undefined;
  try {
    row = guarded(() => {
      if (!statement) {
        connection = new Database(path);
        // A passive checkpoint never waits for a lock; nothing else runs on this connection.
        connection.exec("pragma busy_timeout = 0");
        statement = (
          connection.prepare("pragma wal_checkpoint(passive)") as CheckpointStatement
        ).raw(true);
      }
      return statement.all([])[0];
    });
  } catch (error) {
    // A lock or I/O hiccup passes: try again next tick. Only a checkpoint that keeps failing hands
    // checkpoints back to the writer.
    const message = error instanceof Error ? error.message : String(error);
    try {
      guarded(() => connection?.close());
    } catch {
      // a connection that failed to open may not close either; it is dropped all the same
    }
    connection = undefined;
    statement = undefined;
    if (++failures < GIVE_UP_AFTER) {
      report({ kind: "retry", message });
      return;
    }
    report({ kind: "error", message });
    clearInterval(timer);
    return;
  }
  failures = 0;
  if (!row) return;
  const [busy, walFrames, checkpointed] = row.map(Number) as [number, number, number];
  // Every frame copied: nothing to do until the WAL changes again (a commit, or its restart). The
  // stamp is the one from before the checkpoint: a commit during it makes the next tick run again.
  if (busy === 0 && checkpointed >= walFrames) settled = stamp;
  report({
    kind: "checkpoint",
    walFrames,
    checkpointed,
    busy: busy !== 0,
    ms: performance.now() - started,
  });
}

const timer = setInterval(tick, intervalMs);
