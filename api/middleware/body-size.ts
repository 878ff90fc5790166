import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors/api-error.ts";

/** Bodies above `maxBytes` are refused with 413 (checked as the body streams, not only by header). */
export function bodySize(maxBytes: number): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError("payload_too_large", `request body exceeds ${maxBytes} bytes`, {
        details: { maxBytes },
      });
    },
  });
}
