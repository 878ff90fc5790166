/**
 * HTTP caching of `/v1` GETs: a weak ETag (a 64-bit digest of the body, see `tag`) on every 200, `If-None-Match` answered
 * with 304 (keeping ETag, Cache-Control, X-Request-Id and the RateLimit fields), and Cache-Control:
 * market prices are shared reference data (`public, max-age=60`), cohort benchmarks change slowly
 * (`private, max-age=60`), everything else is the tenant's own state (`private, no-cache`: revalidate
 * with the ETag). Weak because the edge or Node may compress the same representation.
 *
 * A route that has a cheaper validator than the body itself sets it as `c.var.etag` before answering
 * (a stored assessment: the digest of its stored, compressed form, which determines the ~30 KB
 * response exactly, at a tenth of the bytes to hash); it is used instead of the body's digest.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import { type BodyArg, type BodyCall, jsonThroughBody } from "../middleware/json-through-body.ts";
import { setOwnMethod } from "../middleware/own-method.ts";

export const cacheControl: Record<string, string> = {
  "/v1/market/prices": "public, max-age=60",
  "/v1/benchmarks": "private, max-age=60",
};
export const DEFAULT_CACHE_CONTROL = "private, no-cache";

/**
 * A weak ETag from a 64-bit digest: two 32-bit FNV-1a lanes with different offsets (the second also
 * mixes in the first), over the body's bytes or a JSON text's UTF-16 code units (two per step), computed
 * synchronously. A validator only has to tell one representation of a resource from the next, so a
 * cryptographic digest is not needed; SHA-1 through Web Crypto (a promise per response) cost about
 * 12 % of the CPU of `GET /v1/me`. A chance collision between two versions is about 2⁻⁶⁴.
 */
const tag = (a: number, b: number) =>
  `W/"${(a >>> 0).toString(16).padStart(8, "0")}${(b >>> 0).toString(16).padStart(8, "0")}"`;

/**
 * The weak ETag of a JSON text, over its UTF-16 code units (no encoding on the way), two units per
 * step (half the multiplications of a list page's ~12 K characters).
 */
export function textTag(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  const pairs = text.length & ~1;
  for (let i = 0; i < pairs; i += 2) {
    const word = text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16);
    a = Math.imul(a ^ word, 0x01000193);
    b = Math.imul(b ^ word, 0x01000193) ^ (a >>> 13);
  }
  if (pairs < text.length) {
    const unit = text.charCodeAt(pairs);
    a = Math.imul(a ^ unit, 0x01000193);
    b = Math.imul(b ^ unit, 0x01000193) ^ (a >>> 13);
  }
  return tag(a, b);
}

/** The weak ETag of `bytes`. */
export function bytesTag(bytes: Uint8Array): string {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    a = Math.imul(a ^ byte, 0x01000193);
    b = Math.imul(b ^ byte, 0x01000193) ^ (a >>> 13);
  }
  return tag(a, b);
}

const isOk = (arg: BodyArg) =>
  arg === undefined || (typeof arg === "number" ? arg === 200 : (arg.status ?? 200) === 200);
/** Weak comparison (RFC 9110 §13.1.2): does `If-None-Match` name this representation? */
function matches(ifNoneMatch: string, tag: string): boolean {
  if (ifNoneMatch.trim() === "*") return true;
  const opaque = tag.replace(/^W\//, "");
  const listed: string[] = ifNoneMatch.match(/"[^"]*"/g) ?? [];
  return listed.includes(opaque);
}

export function httpCaching(): MiddlewareHandler<AppEnv> {
  return async function httpCachingMiddleware(c, next) {
    if (c.req.method !== "GET") return next();
    // Set first, so that a route's own Cache-Control (e.g. no-store) replaces it.
    c.header(
      "Cache-Control",
      cacheControl[c.req.path.replace(/\/+$/, "")] ?? DEFAULT_CACHE_CONTROL,
    );
    const ifNoneMatch = c.req.header("If-None-Match");
    // The validator is computed from the text as it is serialised (c.json, or c.body with a string or
    // bytes), before the response exists: cloning and re-reading a finished response's stream, and
    // a Web Crypto digest per response, cost about 40 % of the CPU of a small GET on Node.
    const body = c.body as BodyCall;
    setOwnMethod(c, "body", ((data: unknown, arg?: BodyArg, headers?: Record<string, string>) => {
      if (isOk(arg) && (typeof data === "string" || data instanceof Uint8Array)) {
        const tag = c.var.etag ?? (typeof data === "string" ? textTag(data) : bytesTag(data));
        c.header("ETag", tag);
        // 304 keeps what was set on the context (ETag, Cache-Control, X-Request-Id, RateLimit).
        if (ifNoneMatch !== undefined && matches(ifNoneMatch, tag)) return body(null, 304);
      }
      return body(data, arg, headers);
    }) as typeof c.body);
    jsonThroughBody(c);
    await next();
  };
}
