import type { AlertRuleRow } from "../../../core/db/schema/index.ts";
import { iso } from "../shared/rows.ts";

export const presentAlertRule = (row: AlertRuleRow) => ({
  id: row.id,
  enabled: row.enabled,
  createdAt: iso(row.createdAtMs),
  updatedAt: iso(row.updatedAtMs),
  rule: row.rule as unknown as Record<string, unknown>,
});
