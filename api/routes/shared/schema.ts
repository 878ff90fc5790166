/** Request schemas the resources under api/routes repeat. */
import { z } from "zod";
import { bearerSecurity, errorResponses, securedErrorResponses } from "../../openapi/responses.ts";

/**
 * `{ id }` path parameters of a resource whose ids are `prefix_` and 16 base-62 characters (ids from
 * core/auth/ids.ts), e.g. `idParams("rul", "an alert rule")`: "must be an alert rule id (rul_…)".
 */
export function idParams(prefix: string, what: string, example?: string) {
  const id = z
    .string()
    .regex(new RegExp(`^${prefix}_[0-9A-Za-z]{16}$`), `must be ${what} id (${prefix}_…)`);
  return z.object({ id: example === undefined ? id : id.meta({ example }) });
}

/** A required JSON request body (`request.body` of a route). */
export const jsonBody = <S extends z.ZodType>(schema: S) => ({
  required: true,
  content: { "application/json": { schema } },
});

/** The fields every operation of an authenticated resource shares: its tag and bearer security. */
export const secured = (tag: string) => ({ tags: [tag], security: bearerSecurity });

/**
 * The error responses of an authenticated route: the auth, size, media type and rate limit errors
 * every `/v1` route may give, plus `statuses` (e.g. `securedErrors(400, 404)`).
 */
export const securedErrors = <S extends number>(...statuses: S[]) => ({
  ...securedErrorResponses(),
  ...errorResponses(...statuses),
});
