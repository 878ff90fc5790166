/**
 * Node-only: WAL checkpoints of an embedded database on a thread of their own.
 *
 * SQLite checkpoints in the commit that takes the WAL past `wal_autocheckpoint` pages (1,000): that
 * commit copies the pages into the database file and syncs both files, 17–30 ms on this kind of
 * machine. On the API's event loop that stalls every request in flight about once a second under
 * write load, and it was half of the main thread's time in SQLite (`npm run bench:checkpoints`).
 * Here a worker thread (checkpoint-worker.ts) runs `pragma wal_checkpoint(passive)` on its own
 * connection every `intervalMs` while the WAL has grown. A passive checkpoint takes no write lock:
 * commits go on meanwhile. The writer's own autocheckpoint stays as a backstop, at
 * BACKSTOP_PAGES, and goes back to SQLite's default if the thread fails (a checkpoint that fails is
 * tried again next tick on a new connection; five failures in a row stop the thread).
 *
 * libSQL's native module aborts the whole process if a thread is torn down while it is inside one of
 * its calls. The thread therefore marks each call in a shared word (idle / busy / stopped), and
 * `stop()`, or any `process.exit`, first waits until the thread is idle and marks it stopped (a
 * checkpoint is a few milliseconds; the wait is bounded).
 */
import { Worker } from "node:worker_threads";

/** The writer's autocheckpoint while the thread checkpoints: only reached if it falls behind. */
export const BACKSTOP_PAGES = 10_000;
/** SQLite's default `wal_autocheckpoint`, restored if the thread fails. */
export const SQLITE_DEFAULT_PAGES = 1000;

/** Values of the shared state word. */
export const IDLE = 0;
export const BUSY = 1;
export const STOPPED = 2;

export interface CheckpointWorkerData {
  path: string;
  intervalMs: number;
  state: Int32Array;
}

/**
 * What the thread reports: each checkpoint it ran, a failed one it will try again (next tick, on a
 * new connection), and the failure that made it stop (five in a row).
 */
export type CheckpointReport =
  | { kind: "checkpoint"; walFrames: number; checkpointed: number; busy: boolean; ms: number }
  | { kind: "retry"; message: string }
  | { kind: "error"; message: string };

export interface CheckpointOptions {
  /** How often the thread looks at the WAL (ms). */
  intervalMs: number;
  /** Each checkpoint the thread ran (tests, metrics). */
  onCheckpoint?: (report: Extract<CheckpointReport, { kind: "checkpoint" }>) => void;
  /** A checkpoint failed; the thread tries again next tick. */
  onRetry?: (message: string) => void;
  /** The thread failed (a checkpoint error or the thread itself): the writer checkpoints again. */
  onFailure: (message: string) => void;
}

export interface BackgroundCheckpoints {
  /** Waits for a checkpoint in progress (bounded), then ends the thread. */
  stop(): void;
}

/** Longest wait for a checkpoint in progress when stopping (ms). */
const QUIESCE_MS = 10_000;

export function backgroundCheckpoints(
  path: string,
  options: CheckpointOptions,
): BackgroundCheckpoints {
  const state = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL("./checkpoint-worker.ts", import.meta.url), {
    workerData: { path, intervalMs: options.intervalMs, state } satisfies CheckpointWorkerData,
  });
  let failed = false;
  const fail = (message: string) => {
    if (failed) return;
    failed = true;
    options.onFailure(message);
  };
  worker.on("message", (report: CheckpointReport) => {
    if (report.kind === "checkpoint") options.onCheckpoint?.(report);
    else if (report.kind === "retry") options.onRetry?.(report.message);
    else fail(report.message);
  });
  worker.on("error", (error) => fail(error.message));
  worker.on("exit", (code) => {
    if (Atomics.load(state, 0) !== STOPPED) fail(`checkpoint thread exited (code ${code})`);
  });
  // After the listeners (a "message" listener refs the worker again): the thread never keeps the
  // process alive; `exit` still waits for a checkpoint in progress.
  worker.unref();

  /** Marks the thread stopped once it is not inside a checkpoint. Synchronous: safe in `exit`. */
  const quiesce = () => {
    const deadline = performance.now() + QUIESCE_MS;
    for (;;) {
      const was = Atomics.compareExchange(state, 0, IDLE, STOPPED);
      if (was !== BUSY) return;
      const left = deadline - performance.now();
      if (left <= 0) return; // a checkpoint stuck for 10 s: leave it rather than hang the exit
      Atomics.wait(state, 0, BUSY, left);
    }
  };
  process.on("exit", quiesce);
  return {
    stop() {
      process.off("exit", quiesce);
      quiesce();
      void worker.terminate();
    },
  };
}
