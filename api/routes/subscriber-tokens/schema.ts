import { z } from "zod";
import { notificationFilterSchema } from "../../../core/notify/subscription-filter.ts";
import { pageQueryFields, pageSchema } from "../../conventions/pagination.ts";
import { idParams, secured } from "../shared/schema.ts";

export const subscriberTokenOperation = secured("Subscriber tokens");

export const subscriberTokenIdParams = idParams(
  "stok",
  "a subscriber token",
  "stok_4fK2aP0qZ7xLm9Bc",
);

export const createSubscriberTokenBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100).describe("who or what the link is for"),
    filters: notificationFilterSchema
      .default({})
      .describe(
        "the widest filters its subscriptions may choose: slos, severities, marketKinds, regions (empty: any)",
      ),
    expiresAt: z.iso
      .datetime({ offset: true })
      .optional()
      .describe("RFC 3339, at most 366 days ahead; default 90 days"),
    maxSubscriptions: z
      .number()
      .int()
      .min(1)
      .max(50)
      .default(5)
      .describe("browsers (push subscriptions) the token may register at once"),
  })
  .meta({ id: "SubscriberTokenCreate" });

export const filtersOut = z.object({
  slos: z.array(z.string()).optional(),
  severities: z.array(z.string()).optional(),
  marketKinds: z.array(z.string()).optional(),
  regions: z.array(z.string()).optional(),
});

export const subscriberTokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    start: z.string().describe("the first characters of the token, for recognising it"),
    filters: filtersOut,
    maxSubscriptions: z.number().int(),
    subscriptions: z.number().int().describe("push subscriptions it has registered now"),
    createdBy: z.string().describe("the API key that created it"),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    revokedAt: z.iso.datetime().nullable(),
    lastUsedAt: z.iso.datetime().nullable().describe("refreshed at most hourly"),
  })
  .meta({ id: "SubscriberToken" });

export const createdSubscriberTokenSchema = subscriberTokenSchema
  .extend({
    token: z.string().describe("the token itself: shown only in this response"),
    link: z
      .string()
      .describe("the subscriber page with the token in its fragment (never sent to a server)"),
  })
  .meta({ id: "SubscriberTokenCreated" });

export const subscriberTokenListSchema = pageSchema(subscriberTokenSchema, "SubscriberTokenPage");

export const listSubscriberTokensQuery = z.object({
  includeRevoked: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
  ...pageQueryFields,
});
