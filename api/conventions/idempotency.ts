/**
 * `Idempotency-Key` on POST: the first answer to a key is kept per tenant for IDEMPOTENCY_TTL_S and
 * replayed byte for byte (with `Idempotent-Replayed: true`) to later requests with the same key, from
 * any of the tenant's API keys (an SDK's retries may come from another instance and key). A replay
 * passes the authorisation the route itself applies: the scope the route required is kept with the
 * answer, and a key without it gets the route's 403, never the answer (a read-only key replaying an
 * admin's `POST /v1/api-keys` would otherwise be handed the new key's secret). Subscriber tokens
 * (`/v1/subscriber/*`, each a different subscriber of the tenant) keep their keys per token.
 * Authorisation refusals (401, 403) are not kept, as 5xx are not: they answer the credential, not
 * the request. The same key with another request (method, path, query or body) is a 422; while the
 * first request still runs, the same key is a 409. Claims and answers live in libSQL
 * (`idempotency_keys`), so every process and isolate, on Node and on Workers, sees the same keys. A
 * claim is taken with one conditional insert: of 20 concurrent requests with a key, exactly one runs.
 * A request that never finishes frees its key after IDEMPOTENCY_LOCK_S.
 */
import type { MiddlewareHandler } from "hono";
import { type ApiKeyScope, grants } from "../../core/auth/api-keys.ts";
import { libsqlClient } from "../../core/db/database.ts";
import { insufficientScope } from "../auth/authenticate.ts";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors/api-error.ts";

export const IDEMPOTENCY_HEADER = "Idempotency-Key";
/** Printable ASCII without spaces at the ends, as Stripe-style clients send (UUIDs, ULIDs, hashes). */
const keyPattern = /^[\x21-\x7e][\x20-\x7e]{0,253}[\x21-\x7e]$|^[\x21-\x7e]$/;
/** Response headers kept with the answer; the rest (request id, rate limit, timing) are per request. */
const keptHeaders = ["content-type", "location", "etag"];
/**
 * Kept with the answer's headers (and taken out before a replay): the scope the route required. A name
 * no real header has, so an answer kept before it existed simply has none.
 */
const REQUIRED_SCOPE = "gridpulse-required-scope";

async function fingerprint(method: string, url: URL, body: ArrayBuffer): Promise<string> {
  const head = new TextEncoder().encode(`${method} ${url.pathname}${url.search}\n`);
  const bytes = new Uint8Array(head.byteLength + body.byteLength);
  bytes.set(head, 0);
  bytes.set(new Uint8Array(body), head.byteLength);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

const toBytes = (value: unknown): Uint8Array =>
  value instanceof Uint8Array
    ? value
    : value instanceof ArrayBuffer
      ? new Uint8Array(value)
      : new TextEncoder().encode(String(value ?? ""));

/**
 * The stored key: the client's key, for a subscriber token prefixed with the token's id and a space
 * (ids hold no space, so no token shares another's keys, nor the tenant's API keys').
 */
const storedKey = (subscriberTokenId: string | undefined, key: string) =>
  subscriberTokenId === undefined ? key : `${subscriberTokenId} ${key}`;

/** Runs after authentication (keys are scoped to the caller's tenant); only POSTs with the header. */
export function idempotency(): MiddlewareHandler<AppEnv> {
  return async function idempotencyMiddleware(c, next) {
    const clientKey = c.req.header(IDEMPOTENCY_HEADER);
    if (c.req.method !== "POST" || clientKey === undefined) return next();
    if (!keyPattern.test(clientKey)) {
      throw new ApiError(
        "validation_failed",
        "invalid request: header.idempotency-key: must be 1-255 printable ASCII characters",
        {
          details: [
            { path: "header.idempotency-key", message: "1-255 printable ASCII", code: "invalid" },
          ],
        },
      );
    }
    const { settings, now } = c.var.deps;
    const client = libsqlClient(c.var.db);
    const tenantId = c.var.auth.tenantId;
    const key = storedKey(c.var.subscriber?.tokenId, clientKey);
    const print = await fingerprint("POST", new URL(c.req.url), await c.req.arrayBuffer());
    const nowMs = now();
    // Expired answers and abandoned claims of this tenant go first; then the claim, if the key is free.
    const [, claim] = await client.batch(
      [
        {
          sql: "delete from idempotency_keys where tenant_id = ? and expires_at_ms <= ?",
          args: [tenantId, nowMs],
        },
        {
          sql:
            "insert into idempotency_keys (tenant_id, key, fingerprint, created_at_ms, expires_at_ms) " +
            "values (?, ?, ?, ?, ?) on conflict do nothing",
          args: [tenantId, key, print, nowMs, nowMs + settings.IDEMPOTENCY_LOCK_S * 1000],
        },
      ],
      "write",
    );
    if (claim?.rowsAffected !== 1) {
      const found = await client.execute({
        sql: "select fingerprint, status, headers, body from idempotency_keys where tenant_id = ? and key = ?",
        args: [tenantId, key],
      });
      const row = found.rows[0];
      if (row === undefined) {
        // Freed between our claim and this read (a 5xx answer): the client may simply retry.
        throw new ApiError(
          "conflict",
          "a request with this Idempotency-Key just failed; retry it",
          {
            headers: { "Retry-After": "1" },
          },
        );
      }
      if (row.fingerprint !== print) {
        throw new ApiError(
          "idempotency_key_reused",
          "this Idempotency-Key was used with another request (method, path, query or body); use a new key",
          { details: { idempotencyKey: clientKey } },
        );
      }
      if (row.status === null) {
        throw new ApiError(
          "conflict",
          "a request with this Idempotency-Key is still in progress; retry after it completes",
          { headers: { "Retry-After": "1" }, details: { idempotencyKey: clientKey } },
        );
      }
      const kept = JSON.parse(String(row.headers ?? "{}")) as Record<string, string>;
      const required = kept[REQUIRED_SCOPE] as ApiKeyScope | undefined;
      delete kept[REQUIRED_SCOPE];
      if (required !== undefined && !grants(c.var.auth.scopes, required)) {
        throw insufficientScope(required);
      }
      const headers = new Headers(kept);
      headers.set("Idempotent-Replayed", "true");
      c.res = new Response(toBytes(row.body) as Uint8Array<ArrayBuffer>, {
        status: Number(row.status),
        headers,
      });
      return;
    }
    let stored = false;
    // The answer is stored as the route gave it, before any compression for this client.
    c.set("readsAnswer", true);
    try {
      await next();
      const res = c.res;
      if (res.status < 500 && res.status !== 401 && res.status !== 403) {
        const headers: Record<string, string> = {};
        for (const name of keptHeaders) {
          const value = res.headers.get(name);
          if (value !== null) headers[name] = value;
        }
        const required = c.var.requiredScope;
        if (required !== undefined) headers[REQUIRED_SCOPE] = required;
        const body = new Uint8Array(await res.clone().arrayBuffer());
        await client.execute({
          sql:
            "update idempotency_keys set status = ?, headers = ?, body = ?, expires_at_ms = ? " +
            "where tenant_id = ? and key = ?",
          args: [
            res.status,
            JSON.stringify(headers),
            body,
            now() + settings.IDEMPOTENCY_TTL_S * 1000,
            tenantId,
            key,
          ],
        });
        stored = true;
      }
    } finally {
      if (!stored) {
        await client.execute({
          sql: "delete from idempotency_keys where tenant_id = ? and key = ? and status is null",
          args: [tenantId, key],
        });
      }
    }
  };
}
