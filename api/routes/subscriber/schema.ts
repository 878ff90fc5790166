import { z } from "zod";
import { pageSchema } from "../../conventions/pagination.ts";
import { subscriptionSchema } from "../push/schema.ts";
import { filtersOut } from "../subscriber-tokens/schema.ts";

/** Subscriber routes authenticate with the subscriber token, not an API key (no scopes). */
export const subscriberOperation = {
  tags: ["Subscriber"],
  security: [{ subscriberToken: [] as string[] }],
};

export const subscriberSchema = z
  .object({
    tokenId: z.string(),
    name: z.string(),
    filters: filtersOut.describe("the bounds the tenant fixed (empty: any)"),
    maxSubscriptions: z.number().int(),
    expiresAt: z.iso.datetime(),
    vapidPublicKey: z.string(),
  })
  .meta({ id: "Subscriber" });

export const subscriberSubscriptionPageSchema = pageSchema(
  subscriptionSchema,
  "SubscriberSubscriptionPage",
);
