import { z } from "zod";
import { notificationFilterSchema } from "../../../core/notify/subscription-filter.ts";
import { base64UrlToBytes, isUncompressedP256Point } from "../../../core/notify/vapid.ts";
import { idParams, secured } from "../shared/schema.ts";

export const pushOperation = secured("Web Push");

export const subscriptionIdParams = idParams("psub", "a push subscription");

const unpadded = (v: string) => v.replace(/=+$/, "");

const byteLength = (text: string) => {
  try {
    return base64UrlToBytes(text).length;
  } catch {
    return -1;
  }
};

export const createSubscriptionBody = z
  .strictObject({
    endpoint: z
      .string()
      .min(1)
      .max(2048)
      .describe("the push service URL from PushSubscription (https, a known push service)"),
    expirationTime: z
      .number()
      .nullable()
      .optional()
      .describe("accepted as PushSubscription.toJSON() sends it; not used"),
    keys: z.strictObject({
      p256dh: z
        .string()
        .max(200)
        .transform(unpadded)
        .refine(
          isUncompressedP256Point,
          "must be base64url of an uncompressed point on P-256 (65 bytes)",
        ),
      auth: z
        .string()
        .max(100)
        .transform(unpadded)
        .refine((v) => byteLength(v) === 16, "must be base64url of 16 bytes"),
    }),
    filters: notificationFilterSchema
      .default({})
      .describe("which alerts to push: slos, severities, marketKinds, regions (empty: any)"),
  })
  .meta({ id: "PushSubscriptionInput" });

export const subscriptionSchema = z
  .object({
    id: z.string(),
    endpoint: z.string(),
    filters: z.object({
      slos: z.array(z.string()).optional(),
      severities: z.array(z.string()).optional(),
      marketKinds: z.array(z.string()).optional(),
      regions: z.array(z.string()).optional(),
    }),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: "PushSubscription" });

export const vapidKeySchema = z
  .object({
    publicKey: z
      .string()
      .describe("base64url uncompressed P-256 point: PushManager.subscribe's applicationServerKey"),
  })
  .meta({ id: "VapidPublicKey" });
