import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../context.ts";
import { validationHook } from "../../openapi/validation-hook.ts";
import { acknowledgeAlert, acknowledgeAlertRoute } from "./acknowledge-alert.ts";
import { createSubscription, createSubscriptionRoute } from "./create-subscription.ts";
import { deleteSubscription, deleteSubscriptionRoute } from "./delete-subscription.ts";
import { getSubscriber, getSubscriberRoute } from "./get.ts";
import { getAlert, getAlertRoute } from "./get-alert.ts";
import { listSubscriptions, listSubscriptionsRoute } from "./list-subscriptions.ts";
import { testSubscription, testSubscriptionRoute } from "./test-send.ts";

/**
 * `/v1/subscriber`: what a subscriber token may do, and nothing else. It manages its own push
 * subscriptions (filters narrowed to the bounds the tenant fixed, at most `maxSubscriptions`),
 * sends itself a test, and reads or acknowledges the alerts it was notified of (an alert listed in a
 * push message sent to one of its subscriptions). Every query is bounded by the tenant scope and the
 * token: another token's subscriptions and unnotified alerts answer 404.
 */
export const subscriberRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(getSubscriberRoute, getSubscriber)
  .openapi(listSubscriptionsRoute, listSubscriptions)
  .openapi(createSubscriptionRoute, createSubscription)
  .openapi(deleteSubscriptionRoute, deleteSubscription)
  .openapi(testSubscriptionRoute, testSubscription)
  .openapi(getAlertRoute, getAlert)
  .openapi(acknowledgeAlertRoute, acknowledgeAlert);
