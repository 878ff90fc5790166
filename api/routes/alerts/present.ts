import type { AlertHistoryRow, AlertRow } from "../../../core/db/schema/index.ts";
import { iso, isoOrNull } from "../shared/rows.ts";

export const presentAlert = (row: AlertRow) => ({
  id: row.id,
  ruleId: row.ruleId,
  status: row.state.status,
  labels: { ...row.state.labels },
  annotations: { ...row.state.annotations },
  value: row.state.value,
  activeAt: iso(row.state.activeAtMs),
  firedAt: isoOrNull(row.state.firedAtMs),
  resolvedAt: isoOrNull(row.state.resolvedAtMs),
  acknowledgedAt: isoOrNull(row.acknowledgedAtMs),
  acknowledgedBy: row.acknowledgedBy,
});

/** An episode with the rule (and SLO) as they were when it fired. */
export const presentHistoryEntry = (row: AlertHistoryRow) => ({
  id: row.id,
  alertId: row.fingerprint,
  ruleId: row.ruleId,
  ruleName: row.ruleName,
  rule: row.rule.rule as unknown as Record<string, unknown>,
  slo: row.rule.slo
    ? { id: row.rule.slo.id, definition: row.rule.slo.definition as Record<string, unknown> }
    : null,
  severity: row.severity,
  status: row.status as "firing" | "resolved",
  labels: row.labels,
  annotations: row.annotations,
  value: row.value,
  activeAt: iso(row.activeAtMs),
  firedAt: iso(row.firedAtMs),
  resolvedAt: isoOrNull(row.resolvedAtMs),
});
