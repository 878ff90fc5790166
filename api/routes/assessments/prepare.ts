/**
 * Everything a new assessment needs before it is stored, computed from the request alone: the
 * engine's result, the row's columns and the home's figures, the full view serialised once
 * (answered and stored), the list item and the summary view. It reads no database and no clock of
 * its own, so the Node API runs it on worker threads (api/platform/node/assessment-workers.ts), a
 * Workers isolate in the request.
 */
import { type HomeFigures, homeFigures } from "../../../core/benchmark/figures.ts";
import type { AssessmentRow } from "../../../core/db/schema/index.ts";
import {
  type AssessmentInputRaw,
  assess,
  type Carrier,
  ENGINE_VERSION,
  type PriceInput,
} from "../../../core/energy/index.ts";
import { utf8 } from "./json-text.ts";
import { packageColumns, presentFull, presentSummary, presentSummaryView } from "./present.ts";
import { encodeBody, encodeBodySync, type RawCodec } from "./stored.ts";

export interface AssessmentJob {
  /** The validated request body. */
  input: AssessmentInputRaw;
  prices: Partial<Record<Carrier, PriceInput>>;
  /** The new assessment's id and creation time (the request's clock). */
  id: string;
  nowMs: number;
  uncertainty: boolean;
}

/** The row's columns but the tenant, the input (the caller has it), the body and the list item. */
export type PreparedColumns = Omit<AssessmentRow, "tenantId" | "body" | "listItem" | "input">;

export interface PreparedAssessment {
  columns: PreparedColumns;
  /** The list item (`GET /v1/assessments`), as stored. */
  listItem: string;
  /** The full view's UTF-8 bytes: answered, and stored compressed. */
  full: Uint8Array;
  /** The summary view's JSON text. */
  summary: string;
  /** What the tenant's cohort statistics count. */
  figures: HomeFigures;
}

/** A prepared assessment with its stored form (`stored.ts`). */
export interface PreparedForStorage extends PreparedAssessment {
  body: Uint8Array;
}

/** Runs the engine and presents its result; throws `EnergyInputError` for an input it refuses. */
export function prepareAssessment(job: AssessmentJob): PreparedAssessment {
  const { input } = job;
  const result = assess(input, {
    prices: job.prices,
    now: new Date(job.nowMs),
    uncertainty: job.uncertainty,
  });
  // Figures and columns first: presenting rounds the result's numbers in place.
  const figures = homeFigures(input, result);
  const identity = { id: job.id, createdAtMs: job.nowMs, engineVersion: ENGINE_VERSION };
  const columns: PreparedColumns = {
    ...identity,
    result: null,
    climateZone: result.location.zone,
    buildingType: input.buildingType,
    constructionYear: input.constructionYear,
    heatedFloorAreaM2: result.heatedFloorAreaM2,
    primaryEnergyKwhM2: result.primaryEnergy.kwhM2,
    energyClass: result.rating.energyClass,
    ratio: result.rating.ratio,
    annualCostEur: result.cost.annualEur,
    co2KgM2: result.co2.kenakKgM2,
    packagePrimaryEnergyKwhM2: figures.packagePrimaryEnergyKwhM2,
    packageEnergyClass: figures.packageEnergyClass,
    ...packageColumns(result),
  };
  return {
    columns,
    listItem: JSON.stringify(presentSummary(columns)),
    full: utf8(JSON.stringify(presentFull(identity, input, result))),
    summary: JSON.stringify(presentSummaryView(columns)),
    figures,
  };
}

/** Prepares assessments for storage; the Node API hands the work to a worker thread. */
export interface Assessor {
  prepare(job: AssessmentJob): Promise<PreparedForStorage>;
}

/** In process: the engine in line, then the stored form by zlib's asynchronous call. */
export const inProcessAssessor: Assessor = {
  async prepare(job) {
    const prepared = prepareAssessment(job);
    return { ...prepared, body: await encodeBody(prepared.full) };
  },
};

/**
 * In the request, the stored form through `deflate` synchronously: for Workers, where there is no
 * thread to hand the work to and `node:zlib`'s asynchronous call runs on the isolate's thread anyway,
 * so a kept stream (api/platform/kept-zlib.ts) only saves time.
 */
export function inlineAssessor(deflate: RawCodec): Assessor {
  return {
    async prepare(job) {
      return prepareForStorageSync(job, deflate);
    },
  };
}

/**
 * `prepareAssessment` with the stored form, synchronously (for a worker thread), by `deflate` (default
 * zlib's own call).
 */
export function prepareForStorageSync(job: AssessmentJob, deflate?: RawCodec): PreparedForStorage {
  const prepared = prepareAssessment(job);
  return { ...prepared, body: encodeBodySync(prepared.full, deflate) };
}
