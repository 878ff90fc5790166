/**
 * What several webhook operations share: the endpoint by id (or 404), that it is enabled, and the
 * endpoint as GET answers it (what PATCH and DELETE evaluate preconditions against).
 */
import { type WebhookEndpointRow, webhookEndpoints } from "../../../core/db/schema/index.ts";
import { rowTarget } from "../../conventions/preconditions.ts";
import { ApiError } from "../../errors/api-error.ts";
import type { TenantScope } from "../../tenancy/tenant-scope.ts";
import { getOr404 } from "../shared/rows.ts";
import { presentWebhook } from "./present.ts";

/** An endpoint as `GET /v1/webhooks/{id}` answers it. */
export const webhookTarget = rowTarget(webhookEndpoints, "webhook endpoint", presentWebhook);

export const endpointOf = (tenant: TenantScope, id: string): Promise<WebhookEndpointRow> =>
  getOr404(tenant, webhookEndpoints, id, "webhook endpoint");

/** Test-sends and replays need an enabled endpoint (409 otherwise). */
export function assertEnabled(endpoint: WebhookEndpointRow): void {
  if (endpoint.disabledAtMs !== null)
    throw new ApiError("conflict", "the endpoint is disabled; re-enable it first (PATCH enabled)");
}
