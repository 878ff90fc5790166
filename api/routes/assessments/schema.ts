import { z } from "zod";
import {
  assessmentInputSchema,
  assessmentSchema,
  energyClasses,
} from "../../../core/energy/index.ts";

export const assessmentIdParams = z.object({
  id: z.string().regex(/^asm_[0-9A-Za-z]{16}$/, "must be an assessment id (asm_…)"),
});

export const assessmentBody = assessmentInputSchema.meta({ id: "AssessmentInput" });

export const storedAssessmentSchema = z
  .object({
    id: z.string(),
    createdAt: z.iso.datetime(),
    engineVersion: z.string(),
    input: z.unknown().describe("the input as sent"),
    assessment: assessmentSchema.meta({ id: "Assessment" }),
  })
  .meta({ id: "StoredAssessment" });

export const assessmentSummarySchema = z
  .object({
    id: z.string(),
    createdAt: z.iso.datetime(),
    climateZone: z.string(),
    buildingType: z.string(),
    constructionYear: z.number().int(),
    heatedFloorAreaM2: z.number(),
    primaryEnergyKwhM2: z.number(),
    energyClass: z.enum(energyClasses),
    annualCostEur: z.number(),
  })
  .meta({ id: "AssessmentSummary" });

export const listAssessmentsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
