/** Seed worker thread: assesses chunks of synthetic homes with the real engine. */
import { parentPort } from "node:worker_threads";
import { generateHomes } from "./generate.ts";

export interface SeedJob {
  seed: number;
  start: number;
  count: number;
  now: string;
}

parentPort?.on("message", (job: SeedJob) => {
  parentPort?.postMessage({
    start: job.start,
    homes: generateHomes(job.seed, job.start, job.count, job.now),
  });
});
