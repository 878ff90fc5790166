/** Secret rotation, test-send, the message and attempt logs, and replay of a webhook endpoint. */
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { z } from "zod";
import { webhookEndpoints } from "../../../core/db/schema/index.ts";
import { generateWebhookSecret } from "../../../core/notify/standard-webhooks.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { pageBody, pageQueryFields } from "../../conventions/pagination.ts";
import { ApiError } from "../../errors/api-error.ts";
import {
  enqueueTestSend,
  listAttempts,
  listMessages,
  replayMessages,
} from "../../notify/outbox.ts";
import { errorResponses, json, securedErrorResponses } from "../../openapi/responses.ts";
import { common, endpointOf } from "./endpoints.ts";
import { presentAttempt, presentMessage, presentWebhook } from "./present.ts";
import {
  attemptPageSchema,
  defaultGraceMs,
  messagePageSchema,
  outboxStatuses,
  replayBody,
  rotateSecretBody,
  testSendSchema,
  webhookIdParams,
  webhookWithSecretSchema,
} from "./schema.ts";

export const rotateSecretRoute = createRoute({
  ...common,
  method: "post",
  path: "/{id}/rotate-secret",
  summary:
    "Rotate the signing secret: the new one is shown once; old ones sign until the grace ends",
  middleware: [requireScope("write")] as const,
  request: {
    params: webhookIdParams,
    body: { required: false, content: { "application/json": { schema: rotateSecretBody } } },
  },
  responses: {
    200: json(webhookWithSecretSchema, "The endpoint with its new whsec_ secret"),
    ...securedErrorResponses(),
    ...errorResponses(400, 404),
  },
});
export const rotateSecret: RouteHandler<typeof rotateSecretRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const graceMs =
    (c.req.valid("json") as { graceMs?: number } | undefined)?.graceMs ?? defaultGraceMs;
  const tenant = c.var.tenant;
  const current = await endpointOf(tenant, id);
  const nowMs = c.var.deps.now();
  const until = nowMs + graceMs;
  const secret = generateWebhookSecret();
  // Secrets already past their end are dropped; the others sign until the grace ends (or their own
  // earlier end, from a previous rotation).
  const kept = current.secrets
    .filter((s) => s.expiresAtMs === null || s.expiresAtMs > nowMs)
    .map((s) => ({ ...s, expiresAtMs: Math.min(s.expiresAtMs ?? until, until) }))
    .filter((s) => s.expiresAtMs > nowMs);
  const row = await tenant.update(webhookEndpoints, id, {
    secrets: [{ secret, createdAtMs: nowMs, expiresAtMs: null }, ...kept],
    updatedAtMs: nowMs,
  });
  if (!row) throw new ApiError("not_found", "webhook endpoint not found");
  return c.json({ ...presentWebhook(row), secret }, 200);
};

export const testWebhookRoute = createRoute({
  ...common,
  method: "post",
  path: "/{id}/test",
  summary: "Queue a test message to the endpoint (payload type `test`, never a real alert)",
  middleware: [requireScope("write")] as const,
  request: { params: webhookIdParams },
  responses: {
    202: json(testSendSchema, "Queued; follow it in /messages and /attempts"),
    ...securedErrorResponses(),
    ...errorResponses(400, 404, 409),
  },
});
export const testWebhook: RouteHandler<typeof testWebhookRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const tenant = c.var.tenant;
  const endpoint = await endpointOf(tenant, id);
  if (endpoint.disabledAtMs !== null)
    throw new ApiError("conflict", "the endpoint is disabled; re-enable it first (PATCH enabled)");
  const row = await enqueueTestSend(tenant, "webhook", id, c.var.deps.now());
  return c.json({ messageId: row.id, idempotencyKey: row.idempotencyKey }, 202);
};

export const listMessagesRoute = createRoute({
  ...common,
  method: "get",
  path: "/{id}/messages",
  summary: "Messages of the endpoint (the outbox), newest first",
  middleware: [requireScope("read")] as const,
  request: {
    params: webhookIdParams,
    query: z.object({
      status: z.enum(outboxStatuses).optional(),
      ...pageQueryFields,
    }),
  },
  responses: {
    200: json(messagePageSchema, "One page of messages"),
    ...securedErrorResponses(),
    ...errorResponses(400, 404),
  },
});
export const listWebhookMessages: RouteHandler<typeof listMessagesRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const query = c.req.valid("query");
  await endpointOf(c.var.tenant, id);
  const page = await listMessages(c.var.tenant, "webhook", id, {
    status: query.status,
    limit: query.limit,
    after: query.cursor,
  });
  return c.json(pageBody(page, presentMessage), 200);
};

export const listAttemptsRoute = createRoute({
  ...common,
  method: "get",
  path: "/{id}/attempts",
  summary: "Delivery attempts to the endpoint (status, duration, response excerpt), newest first",
  middleware: [requireScope("read")] as const,
  request: {
    params: webhookIdParams,
    query: z.object({
      messageId: z.string().max(100).optional(),
      ...pageQueryFields,
    }),
  },
  responses: {
    200: json(attemptPageSchema, "One page of attempts"),
    ...securedErrorResponses(),
    ...errorResponses(400, 404),
  },
});
export const listWebhookAttempts: RouteHandler<typeof listAttemptsRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const query = c.req.valid("query");
  await endpointOf(c.var.tenant, id);
  const page = await listAttempts(c.var.tenant, "webhook", id, {
    messageId: query.messageId,
    limit: query.limit,
    after: query.cursor,
  });
  return c.json(pageBody(page, presentAttempt), 200);
};

export const replayRoute = createRoute({
  ...common,
  method: "post",
  path: "/{id}/replay",
  summary:
    "Send failed or cancelled messages again (same webhook-id); narrowed by messageIds and/or since",
  middleware: [requireScope("write")] as const,
  request: {
    params: webhookIdParams,
    body: { required: false, content: { "application/json": { schema: replayBody } } },
  },
  responses: {
    202: json(
      z.object({ replayed: z.number().int(), messageIds: z.array(z.string()) }).meta({
        id: "WebhookReplayResult",
      }),
      "The messages queued again",
    ),
    ...securedErrorResponses(),
    ...errorResponses(400, 404, 409),
  },
});
export const replayWebhook: RouteHandler<typeof replayRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const body = (c.req.valid("json") ?? {}) as { messageIds?: string[]; since?: string };
  const tenant = c.var.tenant;
  const endpoint = await endpointOf(tenant, id);
  if (endpoint.disabledAtMs !== null)
    throw new ApiError("conflict", "the endpoint is disabled; re-enable it first (PATCH enabled)");
  const rows = await replayMessages(
    tenant,
    "webhook",
    id,
    {
      messageIds: body.messageIds,
      sinceMs: body.since === undefined ? undefined : Date.parse(body.since),
    },
    c.var.deps.now(),
  );
  return c.json({ replayed: rows.length, messageIds: rows.map((r) => r.id) }, 202);
};
