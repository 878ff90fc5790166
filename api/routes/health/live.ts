import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../context.ts";
import { json } from "../../openapi/responses.ts";
import { liveSchema } from "./schema.ts";

export const liveRoute = createRoute({
  method: "get",
  path: "/live",
  summary: "Liveness: the process serves requests (no dependency is touched)",
  tags: ["Health"],
  responses: { 200: json(liveSchema, "Alive") },
});

export const getLive: RouteHandler<typeof liveRoute, AppEnv> = (c) =>
  c.json({ status: "live" as const, version: c.var.deps.version }, 200);
