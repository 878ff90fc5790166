import { describe, expect, it } from "vitest";
import { syntheticHome } from "../../../core/benchmark/stock.ts";
import { EnergyInputError } from "../../../core/energy/index.ts";
import { createLogger } from "../../../core/observability/logger.ts";
import { createRng } from "../../../core/random/rng.ts";
import {
  type AssessmentJob,
  inProcessAssessor,
  type PreparedForStorage,
} from "../../routes/assessments/prepare.ts";
import { decodeBodySync } from "../../routes/assessments/stored.ts";
import { assessmentWorkers } from "./assessment-workers.ts";

const logger = createLogger({ service: "test", level: "silent" });
const inProcess = inProcessAssessor;

const job = (seed: number): AssessmentJob => ({
  input: syntheticHome(createRng(seed)),
  prices: {
    electricity: {
      eurPerKwh: 0.2315,
      asOf: "2026-11-30",
      source: "test (market event e1, national)",
    },
  },
  id: `asm_test${seed}`,
  nowMs: Date.UTC(2026, 11, 6, 12) + seed,
  uncertainty: seed % 3 === 0,
});

/** Everything prepared, with the byte arrays as plain arrays (comparable across threads). */
const comparable = (p: PreparedForStorage) => ({
  ...p,
  full: Buffer.from(p.full).toString("base64"),
  body: Buffer.from(p.body).toString("base64"),
});

describe("assessment worker threads", () => {
  it("prepare exactly what the in-process path prepares, over two threads at once", async () => {
    const workers = assessmentWorkers(logger, 2);
    try {
      // Both threads load the engine when created; ready() waits for them.
      await workers.ready(30_000);
      const jobs = Array.from({ length: 12 }, (_, i) => job(700 + i));
      const prepared = await Promise.all(jobs.map((j) => workers.prepare(j)));
      for (const [i, p] of prepared.entries()) {
        const expected = await inProcess.prepare(job(700 + i));
        expect(comparable(p)).toEqual(comparable(expected));
        // The stored form holds the answered bytes.
        expect(Buffer.from(decodeBodySync(p.body))).toEqual(Buffer.from(p.full));
        expect(JSON.parse(new TextDecoder().decode(p.full)).id).toBe(`asm_test${700 + i}`);
      }
    } finally {
      await workers.close();
    }
  });

  it("pass on the engine's refusal with its issues", async () => {
    const workers = assessmentWorkers(logger, 1);
    const refused = { ...job(1), input: { ...job(1).input, heatedFloorAreaM2: -5 } };
    try {
      const inline = await inProcess.prepare(refused).catch((e: unknown) => e);
      const viaWorker = await workers.prepare(refused).catch((e: unknown) => e);
      expect(inline).toBeInstanceOf(EnergyInputError);
      expect(viaWorker).toBeInstanceOf(EnergyInputError);
      expect((viaWorker as EnergyInputError).issues).toEqual((inline as EnergyInputError).issues);
      expect((viaWorker as EnergyInputError).issues.length).toBeGreaterThan(0);
    } finally {
      await workers.close();
    }
  });

  it("run a lost worker's jobs in process, then start a new worker for the next ones", async () => {
    const workers = assessmentWorkers(logger, 1);
    // In flight while the worker is terminated.
    const inFlight = workers.prepare(job(5));
    await workers.close();
    expect(comparable(await inFlight)).toEqual(comparable(await inProcess.prepare(job(5))));
    // A new worker for the next job.
    expect(comparable(await workers.prepare(job(6)))).toEqual(
      comparable(await inProcess.prepare(job(6))),
    );
    await workers.close();
  });
});
