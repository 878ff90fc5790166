/**
 * The stream worker's HTTP surface on STREAM_PORT: liveness, readiness (every stage this process runs
 * has joined its consumer group), Prometheus metrics, and extra routes (the telemetry ingest).
 */
import { Hono } from "hono";
import { errorBody } from "../../core/http/error-body.ts";
import type { StreamMetrics } from "../metrics/registry.ts";

export interface StreamHttpDeps {
  metrics: StreamMetrics;
  /** `downReason`: what a stage that is not joined is waiting for, when not its consumer group. */
  stages: { name: string; isJoined(): boolean; downReason?: string }[];
  routes?: Hono[];
}

export function createStreamHttpApp(deps: StreamHttpDeps) {
  const app = new Hono();
  for (const routes of deps.routes ?? []) app.route("/", routes);
  return app
    .get("/health/live", (c) => c.json({ status: "live" }))
    .get("/health/ready", (c) => {
      c.header("Cache-Control", "no-store");
      const checks = Object.fromEntries(
        deps.stages.map((stage) => [
          stage.name,
          stage.isJoined()
            ? { status: "up" as const }
            : {
                status: "down" as const,
                reason: stage.downReason ?? "consumer has not joined its group",
              },
        ]),
      );
      const failing = Object.entries(checks).filter(([, check]) => check.status === "down");
      if (failing.length === 0) return c.json({ status: "ready", checks });
      const names = failing.map(([name]) => name).join(", ");
      return c.json(errorBody("not_ready", `not ready: ${names}`, { checks }), 503);
    })
    .get("/metrics", async (c) => {
      const body = await deps.metrics.registry.metrics();
      return c.body(body, 200, { "Content-Type": deps.metrics.registry.contentType });
    })
    .notFound((c) =>
      c.json(errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`), 404),
    )
    .onError((_error, c) => c.json(errorBody("internal", "internal error"), 500));
}
