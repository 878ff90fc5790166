import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../context.ts";
import { validationHook } from "../../openapi/validation-hook.ts";
import { createWebhook, createWebhookRoute } from "./create.ts";
import { deleteWebhook, deleteWebhookRoute } from "./delete.ts";
import { getWebhook, getWebhookRoute } from "./get.ts";
import { listWebhooks, listWebhooksRoute } from "./list.ts";
import { listAttemptsRoute, listWebhookAttempts } from "./list-attempts.ts";
import { listMessagesRoute, listWebhookMessages } from "./list-messages.ts";
import { replayRoute, replayWebhook } from "./replay.ts";
import { rotateSecret, rotateSecretRoute } from "./rotate-secret.ts";
import { testWebhook, testWebhookRoute } from "./test-send.ts";
import { updateWebhook, updateWebhookRoute } from "./update.ts";

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
