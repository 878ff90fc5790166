/**
 * Bearer API-key authentication for `/v1/*`: resolves the key to its tenant and scopes (through the
 * auth cache), sets `c.var.auth` and the tenant scope `c.var.tenant`. Missing or bad credentials are
 * 401 with a `WWW-Authenticate` challenge (RFC 6750); a lacking scope is 403.
 */
import { and, eq, isNull } from "drizzle-orm";
import type { MiddlewareHandler } from "hono";
import { endTime, startTime } from "hono/timing";
import { type ApiKeyScope, apiKeyPattern, grants, hashApiKey } from "../../core/auth/api-keys.ts";
import { apiKeys } from "../../core/db/schema/index.ts";
import { ApiError } from "../../core/http/errors.ts";
import type { AppEnv, AuthContext } from "../context.ts";
import { database } from "../db.ts";
import { runInBackground } from "../runtime.ts";
import { tenantScope } from "../tenancy/tenant-scope.ts";

const realm = 'Bearer realm="gridpulse"';
/** last_used_at is refreshed at most this often per key (a write per request would be wasteful). */
const lastUsedResolutionMs = 60 * 60 * 1000;

function unauthorized(message: string, error?: "invalid_token" | "invalid_request"): ApiError {
  const challenge = error ? `${realm}, error="${error}", error_description="${message}"` : realm;
  return new ApiError("unauthorized", message, { headers: { "WWW-Authenticate": challenge } });
}

export function authenticate(): MiddlewareHandler<AppEnv> {
  return async function authenticateMiddleware(c, next) {
    const header = c.req.header("Authorization");
    if (!header) throw unauthorized("missing credentials: send Authorization: Bearer <api key>");
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match)
      throw unauthorized(
        "malformed Authorization header: expected Bearer <api key>",
        "invalid_request",
      );
    const key = match[1] as string;
    if (!apiKeyPattern.test(key)) throw unauthorized("invalid API key", "invalid_token");

    const deps = c.var.deps;
    const nowMs = deps.now();
    const keyHash = await (deps.hashApiKey ?? hashApiKey)(key);
    let auth = deps.authCache.get(keyHash, nowMs);
    if (!auth) {
      startTime(c, "auth");
      const db = database(c);
      const row = await db
        .select()
        .from(apiKeys)
        .where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAtMs)))
        .get();
      endTime(c, "auth");
      if (!row || (row.expiresAtMs !== null && row.expiresAtMs <= nowMs)) {
        throw unauthorized("invalid, revoked or expired API key", "invalid_token");
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

/** Route guard: the caller's key must hold `scope` (admin ⊇ write ⊇ read). */
export function requireScope(scope: ApiKeyScope): MiddlewareHandler<AppEnv> {
  return async function requireScopeMiddleware(c, next) {
    if (!grants(c.var.auth.scopes, scope)) {
      throw new ApiError("forbidden", `this API key lacks the '${scope}' scope`, {
        headers: { "WWW-Authenticate": `${realm}, error="insufficient_scope", scope="${scope}"` },
      });
    }
    await next();
  };
}
