/**
 * Bearer API-key authentication for `/v1/*`: resolves the key to its tenant and scopes (through the
 * auth cache), sets `c.var.auth` and the tenant scope `c.var.tenant`. As RFC 6750 §3 and §3.1 ask: no
 * credentials, or another scheme than Bearer (Basic, …), is 401 with a bare challenge
 * (`WWW-Authenticate: Bearer realm="gridpulse"`, no error code); a Bearer header without a token or
 * with one that is not a b64token is 400 `invalid_request`; a well-formed token that is no valid key
 * (unknown, revoked, expired) is 401 `invalid_token`; a lacking scope is 403 `insufficient_scope`.
 *
 * Failed authentications are rate-limited per client address (`failures`, a token bucket): each one
 * takes a token, and once the address has none left it gets 429 + Retry-After — without its key being
 * looked up — until the bucket refills. Keys this process has recently verified (the auth cache) are
 * never held back by their address's failures.
 */
import { and, eq, isNull } from "drizzle-orm";
import type { Context, MiddlewareHandler } from "hono";
import { endTime, startTime } from "hono/timing";
import { type ApiKeyScope, apiKeyPattern, grants, hashApiKey } from "../../core/auth/api-keys.ts";
import { apiKeys } from "../../core/db/schema/index.ts";
import { b64token } from "../../core/http/bearer.ts";
import type { RateLimitDecision, RateLimiter } from "../../core/ratelimit/token-bucket.ts";
import type { AppEnv, AuthContext } from "../context.ts";
import { database } from "../db.ts";
import { ApiError } from "../errors/api-error.ts";
import { runInBackground } from "../runtime.ts";
import { tenantScope } from "../tenancy/tenant-scope.ts";

const realm = 'Bearer realm="gridpulse"';
/** last_used_at is refreshed at most this often per key (a write per request would be wasteful). */
const lastUsedResolutionMs = 60 * 60 * 1000;

function unauthorized(message: string, error?: "invalid_token"): ApiError {
  const challenge = error ? `${realm}, error="${error}", error_description="${message}"` : realm;
  return new ApiError("unauthorized", message, { headers: { "WWW-Authenticate": challenge } });
}

/** RFC 6750 §3.1 `invalid_request`: 400, with the challenge naming the error. */
function invalidRequest(message: string): ApiError {
  return new ApiError("bad_request", message, {
    headers: {
      "WWW-Authenticate": `${realm}, error="invalid_request", error_description="${message}"`,
    },
  });
}

/** `<scheme> [credentials]`: the scheme is the first token (compared without regard to case). */
const schemeAndRest = /^\s*(\S+)(?:[ \t]+(.*))?$/;

/**
 * What an Authorization header holds, as RFC 6750 reads it: another scheme than Bearer, a Bearer
 * header without a single b64token (`malformed`, with why), or the token.
 */
export function bearerCredentials(
  header: string,
):
  | { kind: "other_scheme" }
  | { kind: "malformed"; message: string }
  | { kind: "token"; token: string } {
  const [, scheme = "", rest = ""] = schemeAndRest.exec(header) ?? [];
  if (scheme.toLowerCase() !== "bearer") return { kind: "other_scheme" };
  const token = rest.trim();
  if (b64token.test(token)) return { kind: "token", token };
  return {
    kind: "malformed",
    message:
      token === ""
        ? "malformed Authorization header: Bearer without a token"
        : "malformed Authorization header: the token is not a single b64token",
  };
}

export interface AuthFailureLimiter extends RateLimiter {
  peek(key: string): RateLimitDecision;
}

function tooManyFailures(decision: RateLimitDecision): ApiError {
  return new ApiError(
    "rate_limited",
    "too many failed authentications from this client address; retry later",
    {
      headers: { "Retry-After": String(decision.retryAfterS) },
      details: { retryAfterS: decision.retryAfterS },
    },
  );
}

export function authenticate(failures: AuthFailureLimiter): MiddlewareHandler<AppEnv> {
  const addressOf = (c: Context<AppEnv>) => c.var.deps.clientAddress?.(c) || "unknown";
  /** Counts a failed authentication against the client's address: 400/401, or 429 once over budget. */
  const fail = async (c: Context<AppEnv>, error: ApiError): Promise<never> => {
    const decision = await failures.limit(addressOf(c));
    c.var.deps.metrics.authFailed(decision.allowed ? "unauthorized" : "rate_limited");
    throw decision.allowed ? error : tooManyFailures(decision);
  };
  return async function authenticateMiddleware(c, next) {
    const header = c.req.header("Authorization");
    if (!header)
      return fail(c, unauthorized("missing credentials: send Authorization: Bearer <api key>"));
    const credentials = bearerCredentials(header);
    if (credentials.kind === "other_scheme")
      return fail(
        c,
        unauthorized("unsupported authentication scheme: send Authorization: Bearer <api key>"),
      );
    if (credentials.kind === "malformed") return fail(c, invalidRequest(credentials.message));
    const key = credentials.token;
    if (!apiKeyPattern.test(key)) return fail(c, unauthorized("invalid API key", "invalid_token"));

    const deps = c.var.deps;
    const nowMs = deps.now();
    const keyHash = await (deps.hashApiKey ?? hashApiKey)(key);
    let auth = deps.authCache.get(keyHash, nowMs);
    if (!auth) {
      const blocked = failures.peek(addressOf(c));
      if (!blocked.allowed) {
        deps.metrics.authFailed("rate_limited");
        throw tooManyFailures(blocked);
      }
      startTime(c, "auth");
      const db = database(c);
      const row = await db
        .select()
        .from(apiKeys)
        .where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAtMs)))
        .get();
      endTime(c, "auth");
      if (!row || (row.expiresAtMs !== null && row.expiresAtMs <= nowMs)) {
        return fail(c, unauthorized("invalid, revoked or expired API key", "invalid_token"));
      }
      auth = { tenantId: row.tenantId, keyId: row.id, scopes: row.scopes } satisfies AuthContext;
      deps.authCache.set(keyHash, auth, nowMs, row.expiresAtMs);
      if (row.lastUsedAtMs === null || nowMs - row.lastUsedAtMs > lastUsedResolutionMs) {
        runInBackground(
          c,
          db.update(apiKeys).set({ lastUsedAtMs: nowMs }).where(eq(apiKeys.id, row.id)).run(),
        );
      }
    }
    c.set("auth", auth);
    c.set("tenant", tenantScope(database(c), auth.tenantId));
    await next();
  };
}

/**
 * Another credential check (subscriber tokens) under the same per-address budget of failures: a blocked
 * address gets 429 before the check runs, and each 401 the check answers takes a token.
 */
export function limitAuthFailures(
  failures: AuthFailureLimiter,
  check: MiddlewareHandler<AppEnv>,
): MiddlewareHandler<AppEnv> {
  return async function limitAuthFailuresMiddleware(c, next) {
    const address = c.var.deps.clientAddress?.(c) || "unknown";
    const blocked = failures.peek(address);
    if (!blocked.allowed) {
      c.var.deps.metrics.authFailed("rate_limited");
      throw tooManyFailures(blocked);
    }
    try {
      await check(c, next);
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== "unauthorized") throw error;
      const decision = await failures.limit(address);
      c.var.deps.metrics.authFailed(decision.allowed ? "unauthorized" : "rate_limited");
      throw decision.allowed ? error : tooManyFailures(decision);
    }
  };
}

/** Route guard: the caller's key must hold `scope` (admin ⊇ write ⊇ read). */
export function requireScope(scope: ApiKeyScope): MiddlewareHandler<AppEnv> {
  return async function requireScopeMiddleware(c, next) {
    // Kept with an Idempotency-Key's answer: a replay re-checks it (api/conventions/idempotency.ts).
    c.set("requiredScope", scope);
    if (!grants(c.var.auth.scopes, scope)) throw insufficientScope(scope);
    await next();
  };
}

/** The 403 of a key without `scope`. */
export const insufficientScope = (scope: ApiKeyScope) =>
  new ApiError("forbidden", `this API key lacks the '${scope}' scope`, {
    headers: { "WWW-Authenticate": `${realm}, error="insufficient_scope", scope="${scope}"` },
  });
