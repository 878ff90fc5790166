import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../context.ts";
import { database } from "../../db.ts";
import { errorBody } from "../../errors/api-error.ts";
import { checkDatabase, timedCheck } from "../../health/checks.ts";
import { errorResponses, json } from "../../openapi/responses.ts";
import { readinessSchema } from "./schema.ts";

export const readyRoute = createRoute({
  method: "get",
  path: "/ready",
  summary:
    "Readiness: every dependency answers within its deadline (the embedded database also: a write could commit)",
  tags: ["Health"],
  responses: {
    200: json(readinessSchema, "Ready, with each component's latency"),
    ...errorResponses(503),
  },
});

/** 200 with each check's latency, or 503 in the error shape naming the failing component and why. */
export const getReady: RouteHandler<typeof readyRoute, AppEnv> = async (c) => {
  const deps = c.var.deps;
  const timeoutMs = deps.settings.READINESS_TIMEOUT_MS;
  const writable = deps.databaseWritable;
  const [read, write] = await Promise.all([
    checkDatabase(database(c), timeoutMs),
    writable ? timedCheck(() => writable(timeoutMs), timeoutMs) : undefined,
  ]);
  const checks = { database: read, ...(write ? { database_write: write } : {}) };
  c.header("Cache-Control", "no-store");
  const failing = Object.entries(checks).filter(([, check]) => check.status === "down");
  if (failing.length === 0) return c.json({ status: "ready" as const, checks }, 200);
  const message = failing.map(([name, check]) => `${name}: ${check.reason}`).join("; ");
  return c.json(errorBody("not_ready", `not ready: ${message}`, { checks }), 503);
};
