import type { Handler } from "hono";
import { errorBody } from "../../../core/http/errors.ts";
import type { AppEnv } from "../../context.ts";
import { checkDatabase } from "../../health/checks.ts";

/**
 * Readiness: every component the API needs answers within the deadline. 200 with each check's latency,
 * or 503 in the error shape naming the failing component and why.
 */
export const getReady: Handler<AppEnv> = async (c) => {
  const deps = c.var.deps;
  const checks = { database: await checkDatabase(deps.database(), deps.readinessTimeoutMs) };
  c.header("Cache-Control", "no-store");
  const failing = Object.entries(checks).filter(([, check]) => check.status === "down");
  if (failing.length === 0) return c.json({ status: "ready", checks });
  const message = failing.map(([name, check]) => `${name}: ${check.reason}`).join("; ");
  return c.json(errorBody("not_ready", `not ready: ${message}`, { checks }), 503);
};
