import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../context.ts";
import { validationHook } from "../../openapi/validation-hook.ts";
import { acknowledgeAlert, acknowledgeRoute } from "./acknowledge.ts";
import { getAlert, getAlertRoute } from "./get.ts";
import { alertHistoryRoute, listAlertHistory } from "./history.ts";
import { listAlerts, listAlertsRoute } from "./list.ts";

/**
 * `/v1/alerts`: the tenant's active and recently resolved alerts, as the stream worker's evaluator
 * left them, and their acknowledgement. An acknowledged alert stays listed and in notifications
 * (marked) but no longer makes its group repeat; a new episode clears it.
 */
export const alertRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(listAlertsRoute, listAlerts)
  // Before /{id}: "history" is not a fingerprint.
  .openapi(alertHistoryRoute, listAlertHistory)
  .openapi(getAlertRoute, getAlert)
  .openapi(acknowledgeRoute, acknowledgeAlert);
