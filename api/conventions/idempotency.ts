/**
 * `Idempotency-Key` on POST: the first answer to a key is kept per credential (the API key or subscriber
 * token that sent it, within its tenant) for IDEMPOTENCY_TTL_S and replayed byte for byte (with
 * `Idempotent-Replayed: true`) to later requests of that credential with the same key. Another
 * credential's request with the same key runs on its own, through its own scope checks: a replay must
 * never hand one credential what another was answered (a new key's secret, say). The
 * same key with another request (method, path, query or body) is a 422; while the first request still
 * runs, the same key is a 409. Claims and answers live in libSQL (`idempotency_keys`), so every process
 * and isolate, on Node and on Workers, sees the same keys. A claim is taken with one conditional
 * insert: of 20 concurrent requests with a key, exactly one runs. Answers of 5xx are not kept (the
 * key is freed and the client may retry); a request that never finishes frees its key after
 * IDEMPOTENCY_LOCK_S.
 */
import type { MiddlewareHandler } from "hono";
import { libsqlClient } from "../../core/db/database.ts";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors/api-error.ts";

export const IDEMPOTENCY_HEADER = "Idempotency-Key";
/** Printable ASCII without spaces at the ends, as Stripe-style clients send (UUIDs, ULIDs, hashes). */
const keyPattern = /^[\x21-\x7e][\x20-\x7e]{0,253}[\x21-\x7e]$|^[\x21-\x7e]$/;
/** Response headers kept with the answer; the rest (request id, rate limit, timing) are per request. */
const keptHeaders = ["content-type", "location", "etag"];

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
 * The stored key: the caller's credential id, a space, the client's key. Credential ids hold no space,
 * so two credentials never share a stored key.
 */
const storedKey = (credentialId: string, key: string) => `${credentialId} ${key}`;

/** Runs after authentication (keys are scoped to the caller's credential); only POSTs with the header. */
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
    const key = storedKey(c.var.auth.keyId, clientKey);
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
      const headers = new Headers(
        JSON.parse(String(row.headers ?? "{}")) as Record<string, string>,
      );
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
      if (res.status < 500) {
        const headers: Record<string, string> = {};
        for (const name of keptHeaders) {
          const value = res.headers.get(name);
          if (value !== null) headers[name] = value;
        }
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
