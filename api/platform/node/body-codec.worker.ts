/** Worker thread of api/platform/node/body-codec.ts: compresses and decompresses stored bodies. */
import { parentPort } from "node:worker_threads";
import { decodeBodySync, encodeBodySync } from "../../routes/assessments/stored.ts";

type Job = { id: number; encode: Uint8Array } | { id: number; decode: Uint8Array };

parentPort?.on("message", (job: Job) => {
  try {
    const bytes = "encode" in job ? encodeBodySync(job.encode) : decodeBodySync(job.decode);
    // Transfer the result when it owns its memory (zlib may return a view of a larger buffer).
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    parentPort?.postMessage({ id: job.id, bytes }, own ? [bytes.buffer as ArrayBuffer] : []);
  } catch (error) {
    parentPort?.postMessage({ id: job.id, error: (error as Error).message });
  }
});
