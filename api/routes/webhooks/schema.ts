import { z } from "zod";
import { pageQueryFields, pageSchema } from "../../conventions/pagination.ts";
import { idParams, secured } from "../shared/schema.ts";

export const webhookOperation = secured("Webhooks");

export const webhookFormats = ["gridpulse", "alertmanager"] as const;

export const webhookIdParams = idParams("whk", "a webhook endpoint");

const url = z
  .string()
  .min(1)
  .max(2048)
  .describe("http(s) URL of a public host (checked at registration and at every attempt)");
const description = z.string().trim().max(500);

export const createWebhookBody = z
  .strictObject({
    url,
    format: z
      .enum(webhookFormats)
      .default("gridpulse")
      .describe("gridpulse: gridpulse's JSON; alertmanager: Alertmanager webhook v4"),
    description: description.optional(),
  })
  .meta({ id: "WebhookEndpointInput" });

export const updateWebhookBody = z
  .strictObject({
    url: url.optional(),
    format: z.enum(webhookFormats).optional(),
    description: description.nullable().optional(),
    enabled: z
      .boolean()
      .optional()
      .describe("true re-enables a disabled endpoint (and clears failingSince); false disables it"),
  })
  .meta({ id: "WebhookEndpointUpdate" });

export const maxGraceMs = 7 * 86_400_000;
export const defaultGraceMs = 86_400_000;

export const rotateSecretBody = z
  .strictObject({
    graceMs: z
      .number()
      .int()
      .min(0)
      .max(maxGraceMs)
      .optional()
      .describe("how long the current secrets keep signing (default 24 h, at most 7 days)"),
  })
  .meta({ id: "WebhookSecretRotation" });

export const replayBody = z
  .strictObject({
    messageIds: z.array(z.string().min(1).max(100)).min(1).max(1000).optional(),
    since: z.iso.datetime().optional().describe("only messages created at or after this time"),
  })
  .meta({ id: "WebhookReplay" });

const secretInfo = z.object({
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime().nullable().describe("set once rotated out: it signs until then"),
});

export const webhookEndpointSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    format: z.enum(webhookFormats),
    description: z.string().nullable(),
    enabled: z.boolean(),
    disabledAt: z.iso.datetime().nullable(),
    disabledReason: z.string().nullable(),
    failingSince: z.iso.datetime().nullable(),
    secrets: z
      .array(secretInfo)
      .describe("the signing secrets' times; the secrets themselves are shown once"),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "WebhookEndpoint" });

export const webhookWithSecretSchema = webhookEndpointSchema
  .extend({
    secret: z.string().describe("whsec_…: shown only in this response; store it now"),
  })
  .meta({ id: "WebhookEndpointWithSecret" });

export const outboxStatuses = ["pending", "delivered", "failed", "cancelled"] as const;

export const messageSchema = z
  .object({
    id: z.string(),
    idempotencyKey: z.string().describe("the webhook-id receivers deduplicate by"),
    trigger: z.string(),
    status: z.enum(outboxStatuses),
    attempts: z.number().int(),
    nextAttemptAt: z.iso.datetime(),
    createdAt: z.iso.datetime(),
    deliveredAt: z.iso.datetime().nullable(),
    lastError: z.string().nullable(),
    payload: z.unknown(),
  })
  .meta({ id: "OutboxMessage" });

export const messagePageSchema = pageSchema(messageSchema, "OutboxMessagePage");

export const attemptSchema = z
  .object({
    id: z.string(),
    messageId: z.string(),
    attempt: z.number().int(),
    trigger: z.string(),
    statusCode: z.number().int().nullable(),
    outcome: z.string(),
    durationMs: z.number(),
    responseExcerpt: z.string().nullable(),
    at: z.iso.datetime(),
  })
  .meta({ id: "DeliveryAttempt" });

export const attemptPageSchema = pageSchema(attemptSchema, "DeliveryAttemptPage");

export const testSendSchema = z
  .object({ messageId: z.string(), idempotencyKey: z.string() })
  .meta({ id: "TestSend" });

export const listMessagesQuery = z.object({
  status: z.enum(outboxStatuses).optional(),
  ...pageQueryFields,
});

export const listAttemptsQuery = z.object({
  messageId: z.string().max(100).optional(),
  ...pageQueryFields,
});

export const replayResultSchema = z
  .object({ replayed: z.number().int(), messageIds: z.array(z.string()) })
  .meta({ id: "WebhookReplayResult" });
