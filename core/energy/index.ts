/**
 * core/energy: the gridpulse energy assessment engine. Runtime-neutral (no I/O, no clock, no Node
 * imports): the API layer validates nothing itself, it calls `assess(body, { prices, now })` and maps an
 * EnergyInputError to a 400 with the issues as details.
 */
export {
  type AssessOptions,
  applyUpgrade,
  assess,
  ENGINE_VERSION,
  type PriceInput,
  parseAssessmentInput,
} from "./assess.ts";
export { energyClass } from "./classify.ts";
export { EnergyInputError, type InputIssue } from "./errors.ts";
export { type MeasureId, measureIds } from "./measures.ts";
export { type EnergyClass, energyClasses } from "./reference/classes.ts";
export { defaultPrices, type PricePoint } from "./reference/prices.ts";
export { type Carrier, energyCarriers } from "./reference/systems.ts";
export {
  type AssessmentInput,
  type AssessmentInputRaw,
  assessmentInputSchema,
} from "./schema/input.ts";
export { type Assessment, assessmentSchema, upgradeOptionSchema } from "./schema/output.ts";
