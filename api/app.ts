/**
 * The gridpulse edge API as one Hono app, identical on Workers and Node; hosts only supply `AppDeps`.
 */
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import type { AppDeps, AppEnv } from "./context.ts";
import { notFound, onError } from "./errors/handler.ts";
import { accessLog } from "./middleware/access-log.ts";
import { healthRoutes } from "./routes/health/index.ts";

export function createApp(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.use(requestId({ headerName: "X-Request-Id" }));
  app.use(accessLog(deps));
  app.onError(onError);
  app.notFound(notFound);
  return app.route("/health", healthRoutes);
}

export type App = ReturnType<typeof createApp>;
