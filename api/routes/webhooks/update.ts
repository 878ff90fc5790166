import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type WebhookEndpointRow, webhookEndpoints } from "../../../core/db/schema/index.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { updateWhile, writeUnderPreconditions } from "../../conventions/preconditions.ts";
import { webhookUrl } from "../../notify/outbound.ts";
import { json } from "../../openapi/responses.ts";
import { jsonBody, securedErrors } from "../shared/schema.ts";
import { presentWebhook } from "./present.ts";
import {
  updateWebhookBody,
  webhookEndpointSchema,
  webhookIdParams,
  webhookOperation,
} from "./schema.ts";
import { webhookTarget } from "./store.ts";

export const updateWebhookRoute = createRoute({
  ...webhookOperation,
  method: "patch",
  path: "/{id}",
  summary: "Change an endpoint's URL, format or description; enable or disable it",
  middleware: [requireScope("write")] as const,
  request: { params: webhookIdParams, body: jsonBody(updateWebhookBody) },
  responses: {
    200: json(webhookEndpointSchema, "The endpoint"),
    ...securedErrors(400, 404, 412),
  },
});

export const updateWebhook: RouteHandler<typeof updateWebhookRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const body = c.req.valid("json");
  const tenant = c.var.tenant;
  const nowMs = c.var.deps.now();
  const row = await writeUnderPreconditions(c, webhookTarget(id), async (at) => {
    const current = await at.row();
    const changes: Partial<WebhookEndpointRow> = { updatedAtMs: nowMs };
    if (body.url !== undefined) changes.url = webhookUrl(body.url, c.var.deps.settings);
    if (body.format !== undefined) changes.format = body.format;
    if (body.description !== undefined) changes.description = body.description || null;
    if (body.enabled === true && current.disabledAtMs !== null) {
      Object.assign(changes, { disabledAtMs: null, disabledReason: null, failingSinceMs: null });
    } else if (body.enabled === false && current.disabledAtMs === null) {
      Object.assign(changes, { disabledAtMs: nowMs, disabledReason: "disabled through the API" });
    }
    return updateWhile(tenant, webhookEndpoints, id, at.unchanged, changes);
  });
  return c.json(presentWebhook(row), 200);
};
