import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../context.ts";
import { validationHook } from "../../openapi/validation-hook.ts";
import { createSubscription, createSubscriptionRoute } from "./create.ts";
import { deleteSubscription, deleteSubscriptionRoute } from "./delete.ts";
import { getSubscription, getSubscriptionRoute } from "./get.ts";
import { listSubscriptions, listSubscriptionsRoute } from "./list.ts";
import { testSubscription, testSubscriptionRoute } from "./test-send.ts";
import { vapidKey, vapidKeyRoute } from "./vapid-key.ts";

/** `/v1/push/subscriptions`: the tenant's Web Push subscriptions. */
const subscriptionRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(createSubscriptionRoute, createSubscription)
  .openapi(listSubscriptionsRoute, listSubscriptions)
  .openapi(getSubscriptionRoute, getSubscription)
  .openapi(deleteSubscriptionRoute, deleteSubscription)
  .openapi(testSubscriptionRoute, testSubscription);

/** `/v1/push`: the VAPID public key and the tenant's Web Push subscriptions. */
export const pushRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(vapidKeyRoute, vapidKey)
  .route("/subscriptions", subscriptionRoutes);
