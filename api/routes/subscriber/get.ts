import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { ensureVapidPublicKey } from "../../../core/notify/vapid.ts";
import type { AppEnv } from "../../context.ts";
import { json, securedErrorResponses } from "../../openapi/responses.ts";
import { iso } from "../shared/rows.ts";
import { subscriberOperation, subscriberSchema } from "./schema.ts";

export const getSubscriberRoute = createRoute({
  ...subscriberOperation,
  method: "get",
  path: "/",
  summary: "The subscriber token: its bounds, expiry, and the VAPID key to subscribe with",
  responses: { 200: json(subscriberSchema, "The token"), ...securedErrorResponses() },
});

export const getSubscriber: RouteHandler<typeof getSubscriberRoute, AppEnv> = async (c) => {
  const s = c.var.subscriber;
  const vapidPublicKey =
    c.var.deps.settings.VAPID_PUBLIC_KEY ??
    (await ensureVapidPublicKey(c.var.tenant.db, c.var.deps.now()));
  return c.json(
    {
      tokenId: s.tokenId,
      name: s.name,
      filters: s.filters,
      maxSubscriptions: s.maxSubscriptions,
      expiresAt: iso(s.expiresAtMs),
      vapidPublicKey,
    },
    200,
  );
};
