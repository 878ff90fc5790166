import { z } from "zod";
import { matcherSchema } from "../../../core/alerts/matchers.ts";
import { routeSchema } from "../../../core/alerts/plan.ts";
import { inhibitRuleSchema } from "../../../core/alerts/suppression.ts";
import { secured } from "../shared/schema.ts";

export const policyOperation = secured("Alerts");

export const policyBody = z
  .strictObject({
    route: routeSchema.default(routeSchema.parse({})),
    inhibitRules: z
      .array(inhibitRuleSchema)
      .max(32)
      .nullable()
      .default(null)
      .describe("null: the default rule (a firing page inhibits the ticket of the same SLO)"),
  })
  .meta({ id: "NotificationPolicyInput" });

const routeOut = z.object({
  id: z.string(),
  group_by: z.array(z.string()),
  group_wait: z.number().int(),
  group_interval: z.number().int(),
  repeat_interval: z.number().int(),
  send_resolved: z.boolean(),
  escalate_immediately: z.boolean(),
});
const inhibitOut = z.object({
  source_matchers: z.array(matcherSchema),
  target_matchers: z.array(matcherSchema),
  equal: z.array(z.string()),
});

export const policySchema = z
  .object({
    route: routeOut,
    inhibitRules: z.array(inhibitOut).nullable().describe("as stored; null: the default"),
    effectiveInhibitRules: z.array(inhibitOut).describe("what the evaluator applies"),
    isDefault: z.boolean().describe("true: the tenant has not set a policy"),
    updatedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "NotificationPolicy" });
