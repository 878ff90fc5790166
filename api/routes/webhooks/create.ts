import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { newId } from "../../../core/auth/ids.ts";
import { webhookEndpoints } from "../../../core/db/schema/index.ts";
import { generateWebhookSecret } from "../../../core/notify/standard-webhooks.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { assertBelowCap, enforceCapAfterInsert } from "../../conventions/caps.ts";
import { setLocation } from "../../conventions/location.ts";
import { webhookUrl } from "../../notify/outbound.ts";
import { json } from "../../openapi/responses.ts";
import { createdStamps } from "../shared/rows.ts";
import { jsonBody, securedErrors } from "../shared/schema.ts";
import { presentWebhook } from "./present.ts";
import { createWebhookBody, webhookOperation, webhookWithSecretSchema } from "./schema.ts";

export const createWebhookRoute = createRoute({
  ...webhookOperation,
  method: "post",
  path: "/",
  summary: "Register a webhook endpoint (the signing secret is in this response only)",
  middleware: [requireScope("write")] as const,
  request: { body: jsonBody(createWebhookBody) },
  responses: {
    201: json(webhookWithSecretSchema, "The endpoint with its whsec_ secret"),
    ...securedErrors(400, 409),
  },
});

const webhookCap = (max: number) => ({
  max,
  what: "webhook endpoints",
  setting: "WEBHOOK_ENDPOINTS_MAX",
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
    ...createdStamps(nowMs),
  });
  await enforceCapAfterInsert(c.var.tenant, webhookEndpoints, row.id, cap);
  setLocation(c, row.id);
  return c.json({ ...presentWebhook(row), secret }, 201);
};
