/** What reading and replacing the policy share: the policy as GET answers it, with or without a row. */
import { routeSchema } from "../../../core/alerts/plan.ts";
import { type NotificationPolicyRow, notificationPolicies } from "../../../core/db/schema/index.ts";
import type { Target } from "../../conventions/preconditions.ts";
import { presentPolicy } from "./present.ts";

/** The policy `GET /v1/notification-policy` answers: the stored one, or the defaults. */
export const currentPolicy = (row: NotificationPolicyRow | undefined) =>
  row
    ? presentPolicy(row.route, row.inhibitRules, row.updatedAtMs)
    : presentPolicy(routeSchema.parse({}), null, null);

/** The tenant's one policy: what PUT evaluates preconditions against (the defaults exist too). */
export const policyTarget: Target<typeof notificationPolicies> = {
  table: notificationPolicies,
  what: "notification policy",
  represent: (row) => ({ body: currentPolicy(row) }),
};
