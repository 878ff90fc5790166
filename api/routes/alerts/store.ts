import { and, eq, inArray, isNull, type SQL } from "drizzle-orm";
import { type AlertState, acknowledge } from "../../../core/alerts/evaluate.ts";
import { type AlertRow, alerts } from "../../../core/db/schema/index.ts";
import { ApiError } from "../../errors/api-error.ts";
import type { TenantScope } from "../../tenancy/tenant-scope.ts";
import { getOr404 } from "../shared/rows.ts";

/**
 * Acknowledges the tenant's alert `id` as `by` (an API key or subscriber token id) with the
 * evaluator's semantics, conditionally on its stored state: 404 when unknown, 409 once resolved,
 * idempotent otherwise. Returns the row as stored. (Also the subscriber's acknowledge.)
 */
export async function acknowledgeAs(
  tenant: TenantScope,
  id: string,
  nowMs: number,
  by: string,
): Promise<AlertRow> {
  const row = await getOr404(tenant, alerts, id, "alert");
  // The evaluator's semantics on the row's state with the API-owned acknowledgement columns.
  const state = {
    ...row.state,
    acknowledgedAtMs: row.acknowledgedAtMs,
    acknowledgedBy: row.acknowledgedBy,
  };
  const result = acknowledge([state], id, nowMs, by);
  if (!result.ok) throw new ApiError("conflict", "the alert has resolved; nothing to acknowledge");
  const acked = result.states[0] as AlertState;
  if (row.acknowledgedAtMs !== null) return row;
  // Conditional: the stream worker may have resolved the alert (or someone acknowledged it) since.
  const [updated] = await tenant.updateWhere(
    alerts,
    and(
      eq(alerts.id, id),
      isNull(alerts.acknowledgedAtMs),
      inArray(alerts.status, ["pending", "firing"]),
    ) as SQL,
    { acknowledgedAtMs: acked.acknowledgedAtMs, acknowledgedBy: acked.acknowledgedBy },
  );
  if (updated) return updated;
  const now = await getOr404(tenant, alerts, id, "alert");
  if (now.acknowledgedAtMs !== null) return now;
  throw new ApiError("conflict", "the alert has resolved; nothing to acknowledge");
}
