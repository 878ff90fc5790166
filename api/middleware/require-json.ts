import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors/api-error.ts";

const bodyMethods = new Set(["POST", "PUT", "PATCH"]);

/**
 * Requests with a body must send JSON: anything else is 415 before any parsing happens. A request has
 * a body when it declares one: a `Content-Length` above 0, or a `Transfer-Encoding` (RFC 9112 §6.3:
 * with neither, its body is empty). Node's adapter hands every POST a body stream, even one sent with
 * no body at all (`curl -X POST …`), so the stream is not what is asked.
 */
export function requireJson(): MiddlewareHandler<AppEnv> {
  return async function requireJsonMiddleware(c, next) {
    if (bodyMethods.has(c.req.method)) {
      const length = c.req.header("Content-Length");
      const hasBody =
        c.req.header("Transfer-Encoding") !== undefined ||
        (length !== undefined && Number(length) > 0);
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
