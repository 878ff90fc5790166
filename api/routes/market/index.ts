import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../context.ts";
import { validationHook } from "../../openapi/validation-hook.ts";
import { listEvents, listEventsRoute } from "./events.ts";
import { listPrices, listPricesRoute } from "./prices.ts";

/** `/v1/market`: latest prices and the event history, shared by all tenants. */
export const marketRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(listPricesRoute, listPrices)
  .openapi(listEventsRoute, listEvents);
