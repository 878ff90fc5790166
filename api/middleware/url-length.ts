import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors/api-error.ts";

/**
 * Node's HTTP parser refuses request lines and headers over 16 KB before the app runs (answered with
 * the same error by api/platform/node/client-errors.ts); hosts that pass longer URLs to the app (workerd)
 * get the same 431 here.
 */
export const maxUrlBytes = 16 * 1024;

export function urlLength(): MiddlewareHandler<AppEnv> {
  return async function urlLengthMiddleware(c, next) {
    if (c.req.url.length > maxUrlBytes) {
      throw new ApiError(
        "headers_too_large",
        `the request line and headers exceed ${maxUrlBytes} bytes (long query strings count)`,
      );
    }
    await next();
  };
}
