/**
 * Structured access log: one line per request with the request id, the matched route pattern (never
 * the raw path with ids), status and duration; also gives each request a child logger.
 */
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { AppDeps, AppEnv } from "../context.ts";

export interface AccessLogOptions {
  /** Paths logged at debug level only (probes would drown the log). */
  quietPaths?: readonly string[];
}

export function accessLog(
  deps: AppDeps,
  options: AccessLogOptions = {},
): MiddlewareHandler<AppEnv> {
  const quiet = new Set(options.quietPaths ?? ["/health/live", "/health/ready"]);
  return async function accessLogMiddleware(c, next) {
    const started = performance.now();
    const logger = deps.logger.child({ requestId: c.var.requestId });
    c.set("logger", logger);
    c.set("deps", deps);
    await next();
    const fields = {
      method: c.req.method,
      route: routePath(c, -1),
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    };
    if (quiet.has(c.req.path) && c.res.status < 400) logger.debug("request", fields);
    else logger.info("request", fields);
  };
}
