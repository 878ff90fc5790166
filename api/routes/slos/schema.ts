import { z } from "zod";
import {
  sliSchema,
  sloDefinitionSchema,
  sloWindowSchema,
  tierSchema,
} from "../../../core/slo/definition.ts";
import { pageSchema } from "../../conventions/pagination.ts";
import { idParams, secured } from "../shared/schema.ts";

export const sloOperation = secured("SLOs");

export const sloIdParams = idParams("slo", "an SLO");

export const sloBody = sloDefinitionSchema.meta({ id: "SloDefinition" });

export const sloSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().optional(),
    service: z.string(),
    routes: z.array(z.string()),
    sli: sliSchema,
    objective: z.number(),
    window: sloWindowSchema,
    tiers: z.array(tierSchema),
    minEvents: z.number().int(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "Slo" });

export const sloListSchema = pageSchema(sloSchema, "SloList");

export const importBody = z
  .strictObject({
    yaml: z
      .string()
      .min(1)
      .max(64 * 1024)
      .describe("an OpenSLO v1 document of kind SLO"),
    dryRun: z.boolean().default(false).describe("validate and map only; store nothing"),
  })
  .meta({ id: "OpenSloImport" });

export const importResultSchema = z
  .object({
    slo: sloSchema.optional(),
    definition: sloDefinitionSchema,
    warnings: z.array(z.string()),
  })
  .meta({ id: "OpenSloImportResult" });

const burnRateWindow = z.object({
  window: z.string(),
  total: z.number(),
  bad: z.number(),
  errorRatio: z.number().nullable(),
  burnRate: z.number().nullable(),
  state: z.enum(["ok", "no_data", "insufficient_data"]),
  approximate: z.boolean(),
});

export const sloStatusSchema = z
  .object({
    sloId: z.string(),
    name: z.string(),
    evaluatedAt: z.iso.datetime(),
    state: z.enum(["critical", "warning", "ok", "no_data"]),
    tiers: z.array(
      z.object({
        name: z.string(),
        severity: z.enum(["page", "ticket"]),
        factor: z.number(),
        longWindow: burnRateWindow,
        shortWindow: burnRateWindow,
        state: z.enum(["firing", "ok", "no_data", "insufficient_data"]),
      }),
    ),
    budget: z.object({
      objective: z.number(),
      windowStart: z.iso.datetime(),
      windowEnd: z.iso.datetime(),
      total: z.number(),
      bad: z.number(),
      allowedBad: z.number().nullable(),
      remaining: z.number().nullable(),
      approximate: z.boolean(),
    }),
  })
  .meta({ id: "SloStatus" });
