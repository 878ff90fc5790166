import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../context.ts";
import { validationHook } from "../../openapi/validation-hook.ts";
import {
  createSubscriberToken,
  createSubscriberTokenRoute,
  getSubscriberToken,
  getSubscriberTokenRoute,
  listSubscriberTokens,
  listSubscriberTokensRoute,
  revokeSubscriberToken,
  revokeSubscriberTokenRoute,
} from "./tokens.ts";

/** `/v1/subscriber-tokens`: subscribe links a tenant hands out (write scope). */
export const subscriberTokenRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(createSubscriberTokenRoute, createSubscriberToken)
  .openapi(listSubscriberTokensRoute, listSubscriberTokens)
  .openapi(getSubscriberTokenRoute, getSubscriberToken)
  .openapi(revokeSubscriberTokenRoute, revokeSubscriberToken);
