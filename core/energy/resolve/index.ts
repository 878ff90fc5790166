/** Input -> BuildingModel, collecting every default filled in. */
import type { AssumptionSink, BuildingModel } from "../model.ts";
import type { AssessmentInput } from "../schema/input.ts";
import { resolveEnvelope } from "./envelope.ts";
import { resolveGeometry } from "./geometry.ts";
import { resolveSite } from "./location.ts";
import { resolveSystems } from "./systems.ts";
import { resolveUsage } from "./usage.ts";

export function resolveModel(input: AssessmentInput, note: AssumptionSink): BuildingModel {
  const site = resolveSite(input.location, note);
  const geometry = resolveGeometry(input, note);
  return {
    site,
    geometry,
    envelope: resolveEnvelope(input, site.zone, geometry, note),
    usage: resolveUsage(input, note),
    systems: resolveSystems(input, site.zone, geometry, note),
  };
}
