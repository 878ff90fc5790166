/**
 * What the operations on a rule share: the stored rule from a body, its references, and the rule as
 * GET answers it (what PUT and DELETE evaluate preconditions against).
 */
import type { AlertRule } from "../../../core/alerts/rules.ts";
import { alertRules, slos } from "../../../core/db/schema/index.ts";
import { rowTarget } from "../../conventions/preconditions.ts";
import { invalidField } from "../../errors/handler.ts";
import type { TenantScope } from "../../tenancy/tenant-scope.ts";
import { presentAlertRule } from "./present.ts";

/** A rule as `GET /v1/alert-rules/{id}` answers it. */
export const alertRuleTarget = rowTarget(alertRules, "alert rule", presentAlertRule);

/** An slo_burn rule must name an SLO of the same tenant, one of its tiers and its service. */
export async function checkReferences(tenant: TenantScope, rule: AlertRule) {
  if (rule.kind !== "slo_burn") return;
  const slo = await tenant.get(slos, rule.params.sloId);
  if (!slo) throw invalidField("body.params.sloId", "no such SLO");
  if (!slo.tiers.some((t) => t.name === rule.params.tier))
    throw invalidField(
      "body.params.tier",
      `the SLO has no tier '${rule.params.tier}' (tiers: ${slo.tiers.map((t) => t.name).join(", ")})`,
    );
  if (slo.service !== rule.params.service)
    throw invalidField("body.params.service", `must be the SLO's service '${slo.service}'`);
}

/** The stored rule and its enabled flag from a request body. */
export function ruleFrom(
  body: Record<string, unknown>,
  id: string,
): { rule: AlertRule; enabled?: boolean } {
  const { enabled, ...rest } = body;
  return {
    rule: { ...rest, id } as AlertRule,
    ...(typeof enabled === "boolean" ? { enabled } : {}),
  };
}
