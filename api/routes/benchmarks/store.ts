import { REFERENCE_SCOPE } from "../../../core/benchmark/store.ts";

/**
 * Which statistics a request may see: the shared reference stock (synthetic homes, no tenant's data,
 * so sharing it leaks nothing) or the caller's own portfolio (its tenant id is the statistics scope;
 * no other tenant's assessment is ever counted there).
 */
export const statisticsScope = (against: "reference" | "portfolio", tenantId: string) =>
  against === "reference" ? REFERENCE_SCOPE : tenantId;
