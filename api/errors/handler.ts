/**
 * The single error mapping of the API: every failure becomes `{ error: { code, message, details? } }`
 * with the status of its code. Unexpected errors are logged with the request id and answered with a
 * generic 500 that reveals no internals.
 */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError, type ErrorCode, errorBody, errorStatus } from "../../core/http/errors.ts";
import type { AppEnv } from "../context.ts";

const codeForStatus: Partial<Record<number, ErrorCode>> = Object.fromEntries(
  (Object.entries(errorStatus) as [ErrorCode, number][])
    .filter(([code]) => code !== "validation_failed" && code !== "not_ready")
    .map(([code, status]) => [status, code]),
);

export const onError: ErrorHandler<AppEnv> = (error, c) => {
  if (error instanceof ApiError) {
    return respond(c, error.status, error.toBody(), error.headers);
  }
  if (error instanceof HTTPException && error.status < 500) {
    const code = codeForStatus[error.status] ?? "bad_request";
    return respond(c, error.status, errorBody(code, error.message || code.replaceAll("_", " ")));
  }
  c.var.logger?.error("unhandled error", { err: error, method: c.req.method, path: c.req.path });
  return respond(
    c,
    500,
    errorBody("internal", "internal error; quote the request id when reporting it", {
      requestId: c.var.requestId,
    }),
  );
};

export const notFound: NotFoundHandler<AppEnv> = (c) =>
  respond(c, 404, errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`));

function respond(
  c: Context<AppEnv>,
  status: number,
  body: object,
  headers: Readonly<Record<string, string>> = {},
) {
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
  return c.json(body, status as ContentfulStatusCode);
}
