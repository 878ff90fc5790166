import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../context.ts";
import { validationHook } from "../../openapi/validation-hook.ts";
import { createSubscriberToken, createSubscriberTokenRoute } from "./create.ts";
import { getSubscriberToken, getSubscriberTokenRoute } from "./get.ts";
import { listSubscriberTokens, listSubscriberTokensRoute } from "./list.ts";
import { revokeSubscriberToken, revokeSubscriberTokenRoute } from "./revoke.ts";

/**
 * `/v1/subscriber-tokens`: a tenant (write scope) hands out subscribe links. Each token is shown once
 * (with its link), stored hashed, always expires, can be revoked (which deletes the push subscriptions
 * it registered and cancels their pending messages) and is listed with how many browsers it has.
 */
export const subscriberTokenRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(createSubscriberTokenRoute, createSubscriberToken)
  .openapi(listSubscriberTokensRoute, listSubscriberTokens)
  .openapi(getSubscriberTokenRoute, getSubscriberToken)
  .openapi(revokeSubscriberTokenRoute, revokeSubscriberToken);
