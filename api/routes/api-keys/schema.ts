import { z } from "zod";
import { apiKeyScopes } from "../../../core/auth/api-keys.ts";
import { pageQueryFields, pageSchema } from "../../conventions/pagination.ts";
import { idParams, secured } from "../shared/schema.ts";

export const apiKeyOperation = secured("API keys");

export const apiKeyIdParams = idParams("key", "an API key", "key_4fK2aP0qZ7xLm9Bc");

export const createApiKeyBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    scopes: z.array(z.enum(apiKeyScopes)).min(1).max(3),
    expiresAt: z.iso
      .datetime({ offset: true })
      .optional()
      .describe("RFC 3339; omit for a key that does not expire"),
  })
  .meta({ id: "ApiKeyCreate" });

export const apiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(z.enum(apiKeyScopes)),
    start: z.string().describe("the first characters of the key, for recognising it"),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().nullable(),
    revokedAt: z.iso.datetime().nullable(),
    lastUsedAt: z.iso.datetime().nullable().describe("refreshed at most hourly"),
  })
  .meta({ id: "ApiKey" });

export const createdApiKeySchema = apiKeySchema
  .extend({ key: z.string().describe("the API key itself: shown only in this response") })
  .meta({ id: "ApiKeyCreated" });

export const apiKeyListSchema = pageSchema(apiKeySchema, "ApiKeyList");

export const listApiKeysQuery = z.object({
  includeRevoked: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
  ...pageQueryFields,
});
