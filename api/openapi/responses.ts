/**
 * OpenAPI building blocks shared by every route: the error body schema and the error responses,
 * generated from the one list of error codes in core/http/error-body.ts.
 */
import { z } from "zod";
import { type ErrorCode, errorStatus } from "../errors/api-error.ts";

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: "Error", description: "Every non-2xx response has this shape." });

const descriptions: Record<number, string> = {
  400: 'Invalid request (validation errors list each field path in `details`), or a malformed `Authorization: Bearer` header (`WWW-Authenticate` with `error="invalid_request"`)',
  401: "Missing credentials, a scheme other than Bearer, or an unknown, revoked or expired API key (see `WWW-Authenticate`)",
  403: "The API key lacks the required scope",
  404: "Not found (including objects of other tenants)",
  405: "Method not allowed on this path (see `Allow`)",
  409: "Conflict with the current state",
  412: "Precondition Failed: `If-Match` does not name the current ETag (strong comparison: a `W/` tag never matches), or `If-None-Match` names it or is `*`; nothing was changed (`details.currentETag`)",
  413: "Request body too large",
  422: "The `Idempotency-Key` was already used with another request",
  415: "Request body is not application/json",
  408: "The request was not received in time",
  429: "Rate limit exceeded for this API key, or too many failed authentications from this client address (see `Retry-After`)",
  431: "Request line and headers too large (a long query string counts)",
  500: "Internal error (the body carries the request id)",
  503: "Not ready, or the database is busy or unavailable (see `Retry-After`)",
};

type ErrorResponse = {
  description: string;
  content: { "application/json": { schema: typeof errorBodySchema } };
};

/** Error responses for a route, by status (e.g. `errorResponses(400, 404)`); auth errors are added by `secured`. */
export function errorResponses<S extends number>(...statuses: S[]): Record<S | 500, ErrorResponse> {
  const out = {} as Record<S | 500, ErrorResponse>;
  for (const status of [...statuses, 500 as const]) {
    out[status] = {
      description: descriptions[status] ?? "Error",
      content: { "application/json": { schema: errorBodySchema } },
    };
  }
  return out;
}

/** The responses every authenticated `/v1` route may give besides its own (400: a malformed Bearer header). */
export const securedErrorResponses = () => errorResponses(400, 401, 403, 413, 415, 429, 503);

export const json = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const bearerSecurity = [{ bearerAuth: [] as string[] }];
