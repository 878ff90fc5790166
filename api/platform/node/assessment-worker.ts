/**
 * Worker thread of api/platform/node/assessment-workers.ts: prepares new assessments (engine,
 * presentation, serialisation, compression).
 */
import { parentPort } from "node:worker_threads";
import { EnergyInputError } from "../../../core/energy/index.ts";
import { prepareForStorageSync } from "../../routes/assessments/prepare.ts";
import { STORED_LEVEL } from "../../routes/assessments/stored.ts";
import { keptRawDeflate } from "../kept-zlib.ts";
import type { WorkerJob, WorkerReply } from "./assessment-workers.ts";

/** The stored form's deflate, through one zlib stream kept by this thread (api/platform/kept-zlib.ts). */
const deflate = keptRawDeflate({ level: STORED_LEVEL });

/** Whether `bytes` is the whole of its buffer (then it can be transferred instead of copied). */
const owns = (bytes: Uint8Array) =>
  bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;

const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []) =>
  parentPort?.postMessage(message, transfer);

parentPort?.on("message", ({ id, job }: WorkerJob) => {
  try {
    const prepared = prepareForStorageSync(job, deflate);
    const transfer = [prepared.full, prepared.body]
      .filter(owns)
      .map((b) => b.buffer as ArrayBuffer);
    reply({ id, prepared }, transfer);
  } catch (error) {
    if (error instanceof EnergyInputError) reply({ id, issues: error.issues });
    else reply({ id, error: error instanceof Error ? error.message : String(error) });
  }
});

// The modules are loaded: jobs from now on wait for no import.
reply({ id: 0 });
