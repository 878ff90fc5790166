import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../context.ts";
import { getLive, liveRoute } from "./live.ts";
import { getReady, readyRoute } from "./ready.ts";

/** `/health`: liveness and readiness (no authentication). */
export const healthRoutes = new OpenAPIHono<AppEnv>()
  .openapi(liveRoute, getLive)
  .openapi(readyRoute, getReady);
