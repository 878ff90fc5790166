/**
 * SLO burn rules: one per tier of an SLO, generated from its definition so that the tier's severity,
 * the SLO's service and the labels (slo_id, service, tier, severity) always agree with the SLO.
 * `for` stays 0: the short window of the multiwindow pair already debounces (SRE workbook).
 */
import type { SloDefinition } from "../slo/definition.ts";
import type { RuleOf } from "./rules.ts";

export function sloBurnRules(
  slo: { id: string; definition: Pick<SloDefinition, "name" | "service" | "tiers"> },
  overrides: Partial<Pick<RuleOf<"slo_burn">, "for" | "keep_firing_for" | "labels">> = {},
): RuleOf<"slo_burn">[] {
  return slo.definition.tiers.map((tier) => ({
    id: `slo:${slo.id}:${tier.name}`,
    name: "SloErrorBudgetBurn",
    kind: "slo_burn",
    for: overrides.for ?? 0,
    keep_firing_for: overrides.keep_firing_for ?? 0,
    no_data: "keep_state",
    severity: tier.severity,
    labels: { ...overrides.labels },
    annotations: {
      summary: `${slo.definition.name}: error budget burning at {{ $value }}x (${tier.name}, ${tier.longWindow}/${tier.shortWindow})`,
    },
    params: { sloId: slo.id, service: slo.definition.service, tier: tier.name },
  }));
}
