/**
 * Worker thread of api/platform/node/body-codec.ts: compresses stored bodies (decompressing one costs
 * less in process than the round trip here).
 */
import { parentPort } from "node:worker_threads";
import { encodeBodySync } from "../../routes/assessments/stored.ts";

type Job = { id: number; encode: Uint8Array };

parentPort?.on("message", (job: Job) => {
  try {
    const bytes = encodeBodySync(job.encode);
    // Transfer the result when it owns its memory (zlib may return a view of a larger buffer).
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    parentPort?.postMessage({ id: job.id, bytes }, own ? [bytes.buffer as ArrayBuffer] : []);
  } catch (error) {
    parentPort?.postMessage({ id: job.id, error: (error as Error).message });
  }
});
