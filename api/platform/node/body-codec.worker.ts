/** Worker thread of api/platform/node/body-codec.ts: compresses and decompresses stored bodies. */
import { parentPort } from "node:worker_threads";
import { decodeBodySync, encodeBodySync } from "../../routes/assessments/stored.ts";

type Job = { id: number; encode: string } | { id: number; decode: Uint8Array };

parentPort?.on("message", (job: Job) => {
  try {
    if ("encode" in job) {
      const bytes = encodeBodySync(job.encode);
      parentPort?.postMessage({ id: job.id, bytes }, [bytes.buffer as ArrayBuffer]);
    } else {
      parentPort?.postMessage({ id: job.id, text: decodeBodySync(job.decode) });
    }
  } catch (error) {
    parentPort?.postMessage({ id: job.id, error: (error as Error).message });
  }
});
