import { z } from "zod";
import { alertRuleSchema } from "../../../core/alerts/rules.ts";
import { pageQuery, pageSchema } from "../../conventions/pagination.ts";
import { idParams, secured } from "../shared/schema.ts";

export const alertRuleOperation = secured("Alerts");

export const alertRuleIdParams = idParams("rul", "an alert rule");

/** A rule as sent: the id is the server's; `enabled` (default true) pauses evaluation when false. */
export const alertRuleBody = z
  .discriminatedUnion(
    "kind",
    alertRuleSchema.options.map((option) =>
      option.omit({ id: true }).extend({ enabled: z.boolean().optional() }),
    ) as unknown as [
      z.ZodObject<z.ZodRawShape>,
      z.ZodObject<z.ZodRawShape>,
      ...z.ZodObject<z.ZodRawShape>[],
    ],
  )
  .meta({
    id: "AlertRuleInput",
    description:
      "An alert rule: { kind: slo_burn | latency_threshold | market_price | market_subsidy, name, severity, params, for, keep_firing_for, labels, annotations, no_data, enabled? } (times in ms)",
  });

export const storedAlertRuleSchema = z
  .object({
    id: z.string(),
    enabled: z.boolean(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    rule: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "AlertRule" });

export const listAlertRulesQuery = pageQuery;
export const alertRuleListSchema = pageSchema(storedAlertRuleSchema, "AlertRulePage");
