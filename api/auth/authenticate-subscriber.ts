/**
 * Bearer subscriber-token authentication for `/v1/subscriber/*` (and only there: API keys are refused
 * here, and subscriber tokens are refused by `authenticate` everywhere else). Sets `c.var.subscriber`,
 * the tenant scope, and an `auth` with no scopes, so every scope guard would refuse it too. Tokens are
 * read from the database on every request (no cache): revocation is immediate on every process and
 * isolate, and subscribers make few requests. A 401 says why (`details.reason`: invalid, expired,
 * revoked), so the subscriber page can tell the person.
 */
import { eq } from "drizzle-orm";
import type { MiddlewareHandler } from "hono";
import { hashApiKey } from "../../core/auth/api-keys.ts";
import { subscriberTokenPattern } from "../../core/auth/subscriber-tokens.ts";
import { subscriberTokens } from "../../core/db/schema/index.ts";
import type { AppEnv } from "../context.ts";
import { database } from "../db.ts";
import { ApiError } from "../errors/api-error.ts";
import { runInBackground } from "../runtime.ts";
import { tenantScope } from "../tenancy/tenant-scope.ts";
import { bearerCredentials } from "./authenticate.ts";

const realm = 'Bearer realm="gridpulse-subscriber"';
const lastUsedResolutionMs = 60 * 60 * 1000;

type Reason = "missing" | "malformed" | "invalid" | "expired" | "revoked";

/**
 * RFC 6750 §3.1: no credentials or another scheme is a bare 401 challenge; a Bearer header without a
 * single b64token is 400 `invalid_request`; a token that is no valid subscriber token is 401
 * `invalid_token`.
 */
function unauthorized(reason: Reason, message: string): ApiError {
  const error =
    reason === "missing" ? "" : reason === "malformed" ? "invalid_request" : "invalid_token";
  return new ApiError(reason === "malformed" ? "bad_request" : "unauthorized", message, {
    details: { reason },
    headers: {
      "WWW-Authenticate": error
        ? `${realm}, error="${error}", error_description="${message}"`
        : realm,
    },
  });
}

export function authenticateSubscriber(): MiddlewareHandler<AppEnv> {
  return async function authenticateSubscriberMiddleware(c, next) {
    const header = c.req.header("Authorization");
    if (!header)
      throw unauthorized(
        "missing",
        "missing credentials: send Authorization: Bearer <subscriber token>",
      );
    const credentials = bearerCredentials(header);
    if (credentials.kind === "other_scheme")
      throw unauthorized(
        "missing",
        "unsupported authentication scheme: send Authorization: Bearer <subscriber token>",
      );
    if (credentials.kind === "malformed") throw unauthorized("malformed", credentials.message);
    const token = credentials.token;
    if (!subscriberTokenPattern.test(token))
      throw unauthorized("invalid", "not a subscriber token (these routes take no API key)");
    const deps = c.var.deps;
    const nowMs = deps.now();
    const tokenHash = await (deps.hashApiKey ?? hashApiKey)(token);
    const db = database(c);
    const row = await db
      .select()
      .from(subscriberTokens)
      .where(eq(subscriberTokens.tokenHash, tokenHash))
      .get();
    if (!row) throw unauthorized("invalid", "invalid subscriber token");
    if (row.revokedAtMs !== null)
      throw unauthorized("revoked", "this subscriber token was revoked");
    if (row.expiresAtMs <= nowMs)
      throw unauthorized("expired", "this subscriber token has expired");
    if (row.lastUsedAtMs === null || nowMs - row.lastUsedAtMs > lastUsedResolutionMs) {
      runInBackground(
        c,
        db
          .update(subscriberTokens)
          .set({ lastUsedAtMs: nowMs })
          .where(eq(subscriberTokens.id, row.id))
          .run(),
      );
    }
    c.set("subscriber", {
      tenantId: row.tenantId,
      tokenId: row.id,
      name: row.name,
      filters: row.filters,
      maxSubscriptions: row.maxSubscriptions,
      expiresAtMs: row.expiresAtMs,
    });
    c.set("auth", { tenantId: row.tenantId, keyId: row.id, scopes: [] });
    c.set("tenant", tenantScope(db, row.tenantId));
    await next();
  };
}
