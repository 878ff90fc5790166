/**
 * Node-only: new assessments are prepared on worker threads (the engine, the presentation, the full
 * view's ~30 KB of JSON and its compression with the 32 KB preset dictionary, through one zlib
 * stream kept per thread), so the event loop keeps to HTTP and the database. A job costs it a
 * structured clone of the validated input; the bytes come back transferred, not copied.
 *
 * `threads` workers start with the API and share the jobs (each goes to the worker with the fewest
 * in hand). If a worker fails, its jobs run in process and a new worker starts for the next ones.
 * (Decompressing a stored body, ~25 µs through the API's kept stream, costs less in process than
 * the round trip to a worker.)
 */
import { Worker } from "node:worker_threads";
import { EnergyInputError, type InputIssue } from "../../../core/energy/index.ts";
import type { Logger } from "../../../core/observability/logger.ts";
import {
  type AssessmentJob,
  type Assessor,
  inProcessAssessor,
  type PreparedForStorage,
} from "../../routes/assessments/prepare.ts";

/** What a worker answers (api/platform/node/assessment-worker.ts); id 0: its modules are loaded. */
export type WorkerReply = {
  id: number;
  prepared?: PreparedForStorage;
  /** The engine refused the input (`EnergyInputError`). */
  issues?: InputIssue[];
  error?: string;
};

export type WorkerJob = { id: number; job: AssessmentJob };

export interface AssessmentWorkers extends Assessor {
  /** Resolves when every worker has loaded its modules (or failed), or after `timeoutMs`. */
  ready(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export function assessmentWorkers(logger: Logger, threads = 1): AssessmentWorkers {
  let nextId = 1;
  const slots = Array.from({ length: Math.max(1, threads) }, () => ({
    worker: undefined as Worker | undefined,
    jobs: 0,
    loaded: Promise.resolve(),
  }));
  type Slot = (typeof slots)[number];
  const waiting = new Map<
    number,
    { worker: Worker; resolve(r: WorkerReply): void; reject(e: Error): void }
  >();

  const start = (slot: Slot) => {
    const w = new Worker(new URL("./assessment-worker.ts", import.meta.url));
    w.unref();
    let loaded = () => {};
    slot.loaded = new Promise((resolve) => {
      loaded = resolve;
    });
    w.on("message", (reply: WorkerReply) => {
      if (reply.id === 0) return loaded();
      const job = waiting.get(reply.id);
      if (!job) return;
      waiting.delete(reply.id);
      slot.jobs--;
      if (reply.issues !== undefined) job.reject(new EnergyInputError(reply.issues));
      else if (reply.error !== undefined) job.reject(new Error(reply.error));
      else job.resolve(reply);
    });
    w.on("error", (error) => logger.error("assessment worker failed", { err: error }));
    w.on("exit", () => {
      loaded();
      if (slot.worker === w) slot.worker = undefined;
      for (const [id, job] of waiting) {
        if (job.worker !== w) continue;
        waiting.delete(id);
        slot.jobs--;
        job.reject(new WorkerLostError());
      }
    });
    slot.worker = w;
    return w;
  };

  // Started now, not on the first job: a worker takes a few hundred ms to load the engine.
  for (const slot of slots) start(slot);

  const call = (job: AssessmentJob) =>
    new Promise<WorkerReply>((resolve, reject) => {
      let slot = slots[0] as Slot;
      for (const s of slots) if (s.jobs < slot.jobs) slot = s;
      const worker = slot.worker ?? start(slot);
      const id = nextId++;
      waiting.set(id, { worker, resolve, reject });
      slot.jobs++;
      worker.postMessage({ id, job } satisfies WorkerJob);
    });

  return {
    // A lost worker's jobs run in process; the engine's refusal and other errors go to the caller.
    prepare: (job) =>
      call(job).then(
        (r) => r.prepared as PreparedForStorage,
        (error) =>
          error instanceof WorkerLostError ? inProcessAssessor.prepare(job) : Promise.reject(error),
      ),
    ready: async (timeoutMs) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(slots.map((slot) => slot.loaded)),
        new Promise((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
    },
    close: async () => {
      await Promise.all(slots.map((slot) => slot.worker?.terminate()));
    },
  };
}

class WorkerLostError extends Error {
  constructor() {
    super("assessment worker exited");
  }
}
