/** Create, list, get, update and delete webhook endpoints. */
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { newId } from "../../../core/auth/ids.ts";
import { type WebhookEndpointRow, webhookEndpoints } from "../../../core/db/schema/index.ts";
import { generateWebhookSecret } from "../../../core/notify/standard-webhooks.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { assertBelowCap, enforceCapAfterInsert } from "../../conventions/caps.ts";
import { setLocation } from "../../conventions/location.ts";
import { keysetList, pageBody, pageQuery, pageSchema } from "../../conventions/pagination.ts";
import { ApiError } from "../../errors/api-error.ts";
import { webhookUrl } from "../../notify/outbound.ts";
import { cancelPending } from "../../notify/outbox.ts";
import {
  bearerSecurity,
  errorResponses,
  json,
  securedErrorResponses,
} from "../../openapi/responses.ts";
import type { TenantScope } from "../../tenancy/tenant-scope.ts";
import { presentWebhook } from "./present.ts";
import {
  createWebhookBody,
  updateWebhookBody,
  webhookEndpointSchema,
  webhookIdParams,
  webhookWithSecretSchema,
} from "./schema.ts";

export const common = { tags: ["Webhooks"], security: bearerSecurity };

export async function endpointOf(tenant: TenantScope, id: string): Promise<WebhookEndpointRow> {
  const row = await tenant.get(webhookEndpoints, id);
  if (!row) throw new ApiError("not_found", "webhook endpoint not found");
  return row;
}

const webhookCap = (max: number) => ({
  max,
  what: "webhook endpoints",
  setting: "WEBHOOK_ENDPOINTS_MAX",
});

export const createWebhookRoute = createRoute({
  ...common,
  method: "post",
  path: "/",
  summary: "Register a webhook endpoint (the signing secret is in this response only)",
  middleware: [requireScope("write")] as const,
  request: {
    body: { required: true, content: { "application/json": { schema: createWebhookBody } } },
  },
  responses: {
    201: json(webhookWithSecretSchema, "The endpoint with its whsec_ secret"),
    ...securedErrorResponses(),
    ...errorResponses(400, 409),
  },
});
export const createWebhook: RouteHandler<typeof createWebhookRoute, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const url = webhookUrl(body.url, c.var.deps.settings);
  const nowMs = c.var.deps.now();
  const secret = generateWebhookSecret();
  const cap = webhookCap(c.var.deps.settings.WEBHOOK_ENDPOINTS_MAX);
  await assertBelowCap(c.var.tenant, webhookEndpoints, cap);
  const row = await c.var.tenant.insert(webhookEndpoints, {
    id: newId("whk"),
    url,
    description: body.description || null,
    format: body.format,
    secrets: [{ secret, createdAtMs: nowMs, expiresAtMs: null }],
    disabledAtMs: null,
    disabledReason: null,
    failingSinceMs: null,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
  });
  await enforceCapAfterInsert(c.var.tenant, webhookEndpoints, row.id, cap);
  setLocation(c, row.id);
  return c.json({ ...presentWebhook(row), secret }, 201);
};

export const listWebhooksRoute = createRoute({
  ...common,
  method: "get",
  path: "/",
  summary: "List webhook endpoints (no secrets)",
  middleware: [requireScope("read")] as const,
  request: { query: pageQuery },
  responses: {
    200: json(
      pageSchema(webhookEndpointSchema, "WebhookEndpointList"),
      "The endpoints, newest first",
    ),
    ...securedErrorResponses(),
    ...errorResponses(400),
  },
});
export const listWebhooks: RouteHandler<typeof listWebhooksRoute, AppEnv> = async (c) => {
  const page = await newestEndpoints(c.var.tenant, c.req.valid("query"));
  return c.json(pageBody(page, presentWebhook), 200);
};

const newestEndpoints = keysetList(webhookEndpoints, webhookEndpoints.createdAtMs);

export const getWebhookRoute = createRoute({
  ...common,
  method: "get",
  path: "/{id}",
  summary: "Get a webhook endpoint (no secrets)",
  middleware: [requireScope("read")] as const,
  request: { params: webhookIdParams },
  responses: {
    200: json(webhookEndpointSchema, "The endpoint"),
    ...securedErrorResponses(),
    ...errorResponses(400, 404),
  },
});
export const getWebhook: RouteHandler<typeof getWebhookRoute, AppEnv> = async (c) => {
  const row = await endpointOf(c.var.tenant, c.req.valid("param").id);
  return c.json(presentWebhook(row), 200);
};

export const updateWebhookRoute = createRoute({
  ...common,
  method: "patch",
  path: "/{id}",
  summary: "Change an endpoint's URL, format or description; enable or disable it",
  middleware: [requireScope("write")] as const,
  request: {
    params: webhookIdParams,
    body: { required: true, content: { "application/json": { schema: updateWebhookBody } } },
  },
  responses: {
    200: json(webhookEndpointSchema, "The endpoint"),
    ...securedErrorResponses(),
    ...errorResponses(400, 404),
  },
});
export const updateWebhook: RouteHandler<typeof updateWebhookRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const body = c.req.valid("json");
  const tenant = c.var.tenant;
  const current = await endpointOf(tenant, id);
  const nowMs = c.var.deps.now();
  const changes: Partial<WebhookEndpointRow> = { updatedAtMs: nowMs };
  if (body.url !== undefined) changes.url = webhookUrl(body.url, c.var.deps.settings);
  if (body.format !== undefined) changes.format = body.format;
  if (body.description !== undefined) changes.description = body.description || null;
  if (body.enabled === true && current.disabledAtMs !== null) {
    Object.assign(changes, { disabledAtMs: null, disabledReason: null, failingSinceMs: null });
  } else if (body.enabled === false && current.disabledAtMs === null) {
    Object.assign(changes, { disabledAtMs: nowMs, disabledReason: "disabled through the API" });
  }
  const row = await tenant.update(webhookEndpoints, id, changes);
  if (!row) throw new ApiError("not_found", "webhook endpoint not found");
  return c.json(presentWebhook(row), 200);
};

export const deleteWebhookRoute = createRoute({
  ...common,
  method: "delete",
  path: "/{id}",
  summary: "Delete a webhook endpoint (its pending messages are cancelled)",
  middleware: [requireScope("write")] as const,
  request: { params: webhookIdParams },
  responses: {
    204: { description: "Deleted" },
    ...securedErrorResponses(),
    ...errorResponses(400, 404),
  },
});
export const deleteWebhook: RouteHandler<typeof deleteWebhookRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const tenant = c.var.tenant;
  if (!(await tenant.delete(webhookEndpoints, id)))
    throw new ApiError("not_found", "webhook endpoint not found");
  await cancelPending(tenant, "webhook", id, "endpoint deleted");
  return c.body(null, 204);
};
