import { createRoute, OpenAPIHono, type RouteHandler } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppEnv } from "../../context.ts";
import { database } from "../../db.ts";
import { errorBody } from "../../errors/api-error.ts";
import { checkDatabase, timedCheck } from "../../health/checks.ts";
import { errorResponses, json } from "../../openapi/responses.ts";

const componentCheck = z.object({
  status: z.enum(["up", "down"]),
  latencyMs: z.number(),
  reason: z.string().optional(),
});

const liveRoute = createRoute({
  method: "get",
  path: "/live",
  summary: "Liveness: the process serves requests (no dependency is touched)",
  tags: ["Health"],
  responses: { 200: json(z.object({ status: z.literal("live"), version: z.string() }), "Alive") },
});

const readyRoute = createRoute({
  method: "get",
  path: "/ready",
  summary:
    "Readiness: every dependency answers within its deadline (the embedded database also: a write could commit)",
  tags: ["Health"],
  responses: {
    200: json(
      z
        .object({ status: z.literal("ready"), checks: z.record(z.string(), componentCheck) })
        .meta({ id: "Readiness" }),
      "Ready, with each component's latency",
    ),
    ...errorResponses(503),
  },
});

const getLive: RouteHandler<typeof liveRoute, AppEnv> = (c) =>
  c.json({ status: "live" as const, version: c.var.deps.version }, 200);

/** 200 with each check's latency, or 503 in the error shape naming the failing component and why. */
const getReady: RouteHandler<typeof readyRoute, AppEnv> = async (c) => {
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

export const healthRoutes = new OpenAPIHono<AppEnv>()
  .openapi(liveRoute, getLive)
  .openapi(readyRoute, getReady);
