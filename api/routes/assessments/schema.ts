import { z } from "zod";
import {
  assessmentInputSchema,
  assessmentSchema,
  energyClasses,
} from "../../../core/energy/index.ts";
import { pageQuery } from "../../conventions/pagination.ts";

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
    // Numbers in the assessment carry 5 significant digits (api/routes/assessments/present.ts).
    assessment: assessmentSchema.meta({ id: "Assessment" }),
  })
  .meta({ id: "StoredAssessment" });

const energyClass = z.enum(energyClasses);

export const assessmentSummaryViewSchema = z
  .object({
    id: z.string(),
    view: z.literal("summary"),
    createdAt: z.iso.datetime(),
    engineVersion: z.string(),
    climateZone: z.string(),
    buildingType: z.string(),
    constructionYear: z.number().int(),
    heatedFloorAreaM2: z.number(),
    energyClass,
    ratio: z.number().describe("EP / EP of the reference building (the class is read from it)"),
    primaryEnergyKwhM2: z.number(),
    co2KgM2: z.number(),
    annualCostEur: z.number(),
    recommendedPackage: z
      .object({
        id: z.string(),
        energyClass,
        primaryEnergyKwhM2: z.number().nullable(),
        investmentEur: z.number().nullable(),
        subsidyEur: z.number().nullable().describe("Exoikonomo subsidy, 0 when not eligible"),
        savedEurPerYear: z.number().nullable(),
        simplePaybackYears: z.number().nullable(),
      })
      .nullable()
      .describe(
        "the cheapest Exoikonomo-eligible package, else the cheapest reaching class B, else the best NPV",
      ),
    links: z.object({ self: z.string(), full: z.string(), benchmark: z.string() }),
  })
  .meta({
    id: "AssessmentSummaryView",
    description: "The summary view (`?view=summary`): a few hundred bytes for mobile clients.",
  });

export const assessmentViewQuery = z.object({
  view: z
    .enum(["full", "summary"])
    .default("full")
    .describe(
      "full (default): the input and the whole assessment; summary: class, primary energy, CO2, cost, the recommended package and links",
    ),
});

export const createAssessmentQuery = assessmentViewQuery.extend({
  uncertainty: z
    .enum(["true", "false"])
    .default("false")
    .describe(
      "true: add `assessment.uncertainty`, the class distribution, p10/p50/p90 of primary energy and cost over the estimated unknowns and which unknown to declare first (about 2-3 ms more compute per home, hence opt-in)",
    ),
});

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

export const listAssessmentsQuery = pageQuery;
