import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors/api-error.ts";

const bodyless = new Set(["GET", "HEAD", "OPTIONS", "DELETE"]);

/**
 * Bodies above `maxBytes` are refused with 413. A request with a `Content-Length` (and no
 * `Transfer-Encoding`) is judged by that header: the HTTP server delivers exactly that many bytes. Any
 * other request with a body (chunked) is counted as it streams, and refused as soon as it passes the
 * limit. GETs and HEADs (and OPTIONS and DELETEs without a length) have no body to check: reading
 * `c.req.raw.body` to find out would make Node's adapter build a full web `Request` (and route the body
 * through a web stream) for every request.
 */
export function bodySize(maxBytes: number): MiddlewareHandler<AppEnv> {
  const tooLarge = () => {
    throw new ApiError("payload_too_large", `request body exceeds ${maxBytes} bytes`, {
      details: { maxBytes },
    });
  };
  const streamed = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async function bodySizeMiddleware(c, next) {
    const length = c.req.header("Content-Length");
    const chunked = c.req.header("Transfer-Encoding") !== undefined;
    if (!chunked) {
      if (length !== undefined) return Number.parseInt(length, 10) > maxBytes ? tooLarge() : next();
      if (bodyless.has(c.req.method)) return next();
    }
    return streamed(c, next);
  };
}
