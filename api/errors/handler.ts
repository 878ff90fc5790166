/**
 * The single error mapping of the API: every failure becomes `{ error: { code, message, details? } }`
 * with the status of its code. Validation failures list each field path; unexpected errors are logged
 * with the request id and answered with a generic 500 that reveals no internals; a known path with
 * another method is 405 with `Allow`.
 */
import type { Context, ErrorHandler, Hono, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import { isBusyError } from "../../core/db/busy-retry.ts";
import { isDatabaseUnavailable } from "../../core/db/remote-database.ts";
import { errorMessage } from "../../core/observability/logger.ts";
import type { AppEnv } from "../context.ts";
import { ApiError, type ErrorCode, errorBody, errorStatus } from "./api-error.ts";

const codeForStatus: Partial<Record<number, ErrorCode>> = Object.fromEntries(
  (Object.entries(errorStatus) as [ErrorCode, number][])
    .filter(([code]) => code !== "validation_failed" && code !== "not_ready")
    .map(([code, status]) => [status, code]),
);

export interface FieldError {
  path: string;
  message: string;
  code: string;
}

/**
 * The most field errors one answer lists: a body of 60,000 unknown keys would otherwise be answered
 * with a 4.5 MB error. The message says how many there were.
 */
export const MAX_FIELD_ERRORS = 100;

/** A 400 for fields a handler found invalid (checks that need settings or the database). */
export function invalidFields(errors: FieldError[]): ApiError {
  const summary = errors
    .slice(0, 3)
    .map((d) => `${d.path}: ${d.message}`)
    .join("; ");
  const more =
    errors.length > MAX_FIELD_ERRORS
      ? ` (${errors.length} invalid fields; the first ${MAX_FIELD_ERRORS} are listed)`
      : "";
  return new ApiError("validation_failed", `invalid request: ${summary}${more}`, {
    details: errors.slice(0, MAX_FIELD_ERRORS),
  });
}

/** `invalidFields` for one field, e.g. `invalidField("body.url", "loopback address")`. */
export const invalidField = (path: string, message: string, code = "custom"): ApiError =>
  invalidFields([{ path, message, code }]);

/**
 * A 400 naming every invalid field as `<target>.<path>` (target: body, query, params, header); an
 * unknown field is named itself (`body.foo`), one detail per field.
 */
export function validationError(target: string, error: z.core.$ZodError): ApiError {
  const root = target === "json" ? "body" : target === "param" ? "params" : target;
  const details = error.issues.flatMap((issue): FieldError[] => {
    const path = [root, ...issue.path.map(String)];
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        path: [...path, key].join("."),
        message: "unknown field",
        code: issue.code,
      }));
    }
    return [{ path: path.join("."), message: issue.message, code: issue.code }];
  });
  return invalidFields(details);
}

export const onError: ErrorHandler<AppEnv> = (error, c) => {
  if (error instanceof ApiError) return respond(c, error.status, error.toBody(), error.headers);
  if (error instanceof HTTPException && error.status < 500) {
    const code = codeForStatus[error.status] ?? "bad_request";
    return respond(c, error.status, errorBody(code, error.message || code.replaceAll("_", " ")));
  }
  if (isBusyError(error)) {
    // The database stayed locked by other writers through every retry: the request did nothing.
    c.var.logger?.warn("database busy", { method: c.req.method, path: c.req.path });
    return respond(
      c,
      503,
      errorBody("unavailable", "the database is busy; retry the request shortly"),
      { "Retry-After": "1" },
    );
  }
  if (isDatabaseUnavailable(error)) {
    // The libSQL server is unreachable or did not answer within DATABASE_TIMEOUT_MS. The reason
    // names the failed query's SQL, never its parameters (they hold token hashes and secrets).
    c.var.logger?.warn("database unavailable", {
      method: c.req.method,
      path: c.req.path,
      reason: errorMessage(error),
    });
    return respond(
      c,
      503,
      errorBody("unavailable", "the database is unavailable; retry the request shortly"),
      { "Retry-After": "2" },
    );
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

/** 404 for unknown paths; 405 with `Allow` when the path exists for other methods. */
export function notFound(app: Hono<AppEnv>): NotFoundHandler<AppEnv> {
  let routes: { method: string; pattern: RegExp }[] | undefined;
  return (c) => {
    routes ??= app.routes
      .filter((r) => r.method !== "ALL")
      .map((r) => ({ method: r.method, pattern: toRegExp(r.path) }));
    const allowed = [
      ...new Set(routes.filter((r) => r.pattern.test(c.req.path)).map((r) => r.method)),
    ];
    if (allowed.length > 0) {
      if (allowed.includes("GET") && !allowed.includes("HEAD")) allowed.push("HEAD");
      return respond(
        c,
        405,
        errorBody("method_not_allowed", `${c.req.method} is not allowed on ${c.req.path}`, {
          allow: allowed,
        }),
        { Allow: allowed.join(", ") },
      );
    }
    return respond(c, 404, errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`));
  };
}

function toRegExp(path: string): RegExp {
  const source = path
    .split("/")
    .map((part) =>
      part.startsWith(":")
        ? "[^/]+"
        : part === "*"
          ? ".*"
          : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
    )
    .join("/");
  // Exactly the router's paths: it is strict about a trailing slash, so `/v1/slos/` is no route (404),
  // not a route with the wrong method.
  return new RegExp(`^${source}$`);
}

function respond(
  c: Context<AppEnv>,
  status: number,
  body: object,
  headers: Readonly<Record<string, string>> = {},
) {
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
  return c.json(body, status as ContentfulStatusCode);
}
