import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import { getLive } from "./live.ts";
import { getReady } from "./ready.ts";

export const healthRoutes = new Hono<AppEnv>().get("/live", getLive).get("/ready", getReady);
