import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../context.ts";
import { validationHook } from "../../openapi/validation-hook.ts";
import {
  listAttemptsRoute,
  listMessagesRoute,
  listWebhookAttempts,
  listWebhookMessages,
  replayRoute,
  replayWebhook,
  rotateSecret,
  rotateSecretRoute,
  testWebhook,
  testWebhookRoute,
} from "./deliveries.ts";
import {
  createWebhook,
  createWebhookRoute,
  deleteWebhook,
  deleteWebhookRoute,
  getWebhook,
  getWebhookRoute,
  listWebhooks,
  listWebhooksRoute,
  updateWebhook,
  updateWebhookRoute,
} from "./endpoints.ts";

/**
 * `/v1/webhooks`: the tenant's Standard Webhooks endpoints, their secrets (shown once, rotated with a
 * grace period), test-sends, message and attempt logs, and replay.
 */
export const webhookRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(createWebhookRoute, createWebhook)
  .openapi(listWebhooksRoute, listWebhooks)
  .openapi(getWebhookRoute, getWebhook)
  .openapi(updateWebhookRoute, updateWebhook)
  .openapi(deleteWebhookRoute, deleteWebhook)
  .openapi(rotateSecretRoute, rotateSecret)
  .openapi(testWebhookRoute, testWebhook)
  .openapi(listMessagesRoute, listWebhookMessages)
  .openapi(listAttemptsRoute, listWebhookAttempts)
  .openapi(replayRoute, replayWebhook);
