import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors/api-error.ts";

const bodyMethods = new Set(["POST", "PUT", "PATCH"]);

/** Requests with a body must send JSON: anything else is 415 before any parsing happens. */
export function requireJson(): MiddlewareHandler<AppEnv> {
  return async function requireJsonMiddleware(c, next) {
    if (bodyMethods.has(c.req.method)) {
      const length = c.req.header("Content-Length");
      const hasBody = length === undefined ? c.req.raw.body !== null : Number(length) > 0;
      const type = (c.req.header("Content-Type") ?? "").split(";")[0]?.trim().toLowerCase();
      if (hasBody && type !== "application/json") {
        throw new ApiError(
          "unsupported_media_type",
          `request bodies must be application/json (got ${type || "no Content-Type"})`,
        );
      }
    }
    await next();
  };
}
