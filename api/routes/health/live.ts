import type { Handler } from "hono";
import type { AppEnv } from "../../context.ts";

/** Liveness: the process is up and serving; no dependencies are touched. */
export const getLive: Handler<AppEnv> = (c) =>
  c.json({ status: "live", version: c.var.deps.version });
