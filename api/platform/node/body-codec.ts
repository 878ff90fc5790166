/**
 * Node-only: stored assessment bodies compressed on a worker thread, so the event loop spends a message
 * copy per assessment instead of the deflate (with its 32 KB preset dictionary, which zlib hashes again
 * for every message). If the worker fails, calls fall back to the in-process codec and a new worker is
 * started for the next ones. Decompressing is cheap and runs in process.
 */
import { Worker } from "node:worker_threads";
import type { Logger } from "../../../core/observability/logger.ts";
import {
  type BodyCodec,
  decodeBodySync,
  inlineBodyCodec,
} from "../../routes/assessments/stored.ts";

type Reply = { id: number; bytes?: Uint8Array; error?: string };

export function workerBodyCodec(logger: Logger): BodyCodec & { close(): Promise<void> } {
  let worker: Worker | undefined;
  let nextId = 1;
  const waiting = new Map<number, { resolve(r: Reply): void; reject(e: Error): void }>();

  const start = () => {
    const w = new Worker(new URL("./body-codec.worker.ts", import.meta.url));
    w.unref();
    w.on("message", (reply: Reply) => {
      const job = waiting.get(reply.id);
      waiting.delete(reply.id);
      if (!job) return;
      if (reply.error !== undefined) job.reject(new Error(reply.error));
      else job.resolve(reply);
    });
    w.on("error", (error) => logger.error("body codec worker failed", { err: error }));
    w.on("exit", () => {
      if (worker === w) worker = undefined;
      for (const [id, job] of waiting) {
        waiting.delete(id);
        job.reject(new Error("body codec worker exited"));
      }
    });
    worker = w;
    return w;
  };

  const call = (message: { encode: Uint8Array }) =>
    new Promise<Reply>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      (worker ?? start()).postMessage({ id, ...message });
    });

  return {
    // The bytes are copied to the worker (the caller still answers with them).
    encode: (utf8) =>
      call({ encode: utf8 }).then(
        (r) => r.bytes as Uint8Array,
        () => inlineBodyCodec.encode(utf8),
      ),
    // Inflating one body (~50 µs) costs less in process than the round trip to the worker (copying
    // the stored bytes there and ~30 KB back, and waking both threads).
    decode: (stored) => {
      try {
        return Promise.resolve(decodeBodySync(stored));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    close: async () => {
      await worker?.terminate();
    },
  };
}
