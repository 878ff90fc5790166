/** What several webhook operations share: the endpoint by id (or 404), and that it is enabled. */
import { type WebhookEndpointRow, webhookEndpoints } from "../../../core/db/schema/index.ts";
import { ApiError } from "../../errors/api-error.ts";
import type { TenantScope } from "../../tenancy/tenant-scope.ts";
import { getOr404 } from "../shared/rows.ts";

export const endpointOf = (tenant: TenantScope, id: string): Promise<WebhookEndpointRow> =>
  getOr404(tenant, webhookEndpoints, id, "webhook endpoint");

/** Test-sends and replays need an enabled endpoint (409 otherwise). */
export function assertEnabled(endpoint: WebhookEndpointRow): void {
  if (endpoint.disabledAtMs !== null)
    throw new ApiError("conflict", "the endpoint is disabled; re-enable it first (PATCH enabled)");
}
