import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { webhookEndpoints } from "../../../core/db/schema/index.ts";
import { generateWebhookSecret } from "../../../core/notify/standard-webhooks.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { json } from "../../openapi/responses.ts";
import { updateOr404 } from "../shared/rows.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentWebhook } from "./present.ts";
import {
  defaultGraceMs,
  rotateSecretBody,
  webhookIdParams,
  webhookOperation,
  webhookWithSecretSchema,
} from "./schema.ts";
import { endpointOf } from "./store.ts";

export const rotateSecretRoute = createRoute({
  ...webhookOperation,
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
    ...securedErrors(400, 404),
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
  const row = await updateOr404(
    tenant,
    webhookEndpoints,
    id,
    { secrets: [{ secret, createdAtMs: nowMs, expiresAtMs: null }, ...kept], updatedAtMs: nowMs },
    "webhook endpoint",
  );
  return c.json({ ...presentWebhook(row), secret }, 200);
};
