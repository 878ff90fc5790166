import { requestExamples } from "../../api/openapi/conventions.ts";

/**
 * A home the API assesses in the HTTP suites: OpenAPI's documented `createAssessment` example (a 1995
 * apartment in Attica with a gas boiler).
 */
export const atticaApartment = requestExamples.createAssessment as Record<string, unknown>;
