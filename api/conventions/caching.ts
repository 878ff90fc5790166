/**
 * HTTP caching of `/v1` GETs and HEADs: a strong ETag (a 64-bit digest of the identity-encoded body, see
 * `tag`) on every 200, `If-None-Match` answered with 304 (keeping ETag, Cache-Control, X-Request-Id and
 * the RateLimit fields), and Cache-Control on 200 and 304: market prices are shared reference data
 * (`public, max-age=60`), cohort benchmarks change slowly (`private, max-age=60`), everything else is
 * the tenant's own state (`private, no-cache`: revalidate with the ETag). Any other answer (errors:
 * 400, 404, 503, …) is `no-store` (RFC 9111 §3, §4.2.1): it must not be kept and served for the 200.
 *
 * Strong because the digest covers the exact bytes of the identity answer (RFC 9110 §8.8.1). Where the
 * answer is compressed its bytes differ and its tag must be weak (`W/`): on Node the compression
 * middleware weakens what it compresses. On Workers Cloudflare's front line compresses (and
 * `wrangler dev` mimics it, keeping the tag as it is); the Worker's own `Accept-Encoding` is always
 * `br, gzip`, the client's is `request.cf.clientAcceptEncoding`, and the tag is weakened here when that
 * makes the front line compress (`edgeCompresses`). If-None-Match compares weakly, so either form
 * gets its 304; If-Match on a PUT, PATCH or DELETE (api/conventions/preconditions.ts) takes only the
 * strong one.
 *
 * HEAD is routed through the GET routes (Hono answers it as a GET without the body), so it gets the
 * same ETag, Cache-Control and 304 (RFC 9110 §9.3.2, §13.1.2).
 *
 * A route that has a cheaper validator than the body itself sets it as `c.var.etag` before answering
 * (a stored assessment: the digest of its stored, compressed form, which determines the ~30 KB
 * response exactly, at a tenth of the bytes to hash); it is used instead of the body's digest.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import {
  type BodyArg,
  type BodyCall,
  type HeaderRecord,
  headerIn,
  jsonThroughBody,
} from "../middleware/json-through-body.ts";
import { setOwnMethod } from "../middleware/own-method.ts";

export const cacheControl: Record<string, string> = {
  "/v1/market/prices": "public, max-age=60",
  "/v1/benchmarks": "private, max-age=60",
};
export const DEFAULT_CACHE_CONTROL = "private, no-cache";

/**
 * A strong ETag from a 64-bit digest: two 32-bit FNV-1a lanes with different offsets (the second also
 * mixes in the first), over the body's bytes or a JSON text's UTF-16 code units (two per step; UTF-8
 * is one-to-one with the text, so this still tells the bytes apart), computed synchronously. A
 * validator only has to tell one representation of a resource from the next, so a cryptographic
 * digest is not needed; SHA-1 through Web Crypto (a promise per response) cost about 12 % of the CPU
 * of `GET /v1/me`. A chance collision between two versions is about 2⁻⁶⁴.
 */
const tag = (a: number, b: number) =>
  `"${(a >>> 0).toString(16).padStart(8, "0")}${(b >>> 0).toString(16).padStart(8, "0")}"`;

/**
 * The ETag of a JSON text, over its UTF-16 code units (no encoding on the way), two units per
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

/** The ETag of `bytes`. */
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

/** The ETag GET gives for a body answered with `c.json` (what preconditions compare with). */
export const jsonTag = (body: unknown): string => textTag(JSON.stringify(body));

/**
 * The answer a 304 stands for, by request context: a wrapper of `c.body` further in that decides
 * headers from the body reads it (compression: Vary, and the weak ETag of an answer it would
 * compress), since a 304 carries the Vary and ETag its 200 would (RFC 9110 §15.4.5).
 */
export const notModifiedAnswers = new WeakMap<
  object,
  { data: string | Uint8Array; headers: HeaderRecord | undefined }
>();

/** The status a `c.body` call answers with (routes here give it with the call, or answer 200). */
const statusOf = (arg: BodyArg) =>
  arg === undefined ? 200 : typeof arg === "number" ? arg : (arg.status ?? 200);

/** Weak comparison (RFC 9110 §13.1.2): does `If-None-Match` name this representation? */
function matches(ifNoneMatch: string, tag: string): boolean {
  if (ifNoneMatch.trim() === "*") return true;
  const opaque = tag.replace(/^W\//, "");
  const listed: string[] = ifNoneMatch.match(/"[^"]*"/g) ?? [];
  return listed.includes(opaque);
}

/**
 * Whether Cloudflare's front line compresses a JSON answer for a client with this `Accept-Encoding`:
 * the codings by preference (q), the first acceptable one that is gzip or br comes before identity
 * (deflate, zstd and `*` are passed over; with none, the answer goes uncompressed).
 */
export function edgeCompresses(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  const codings: { coding: string; q: number }[] = [];
  for (const element of acceptEncoding.split(",")) {
    const [name = "", ...params] = element.split(";");
    const q = params.find((p) => p.split("=")[0]?.trim().toLowerCase() === "q");
    const weight = q === undefined ? 1 : Number(q.split("=")[1]);
    if (name.trim() && Number.isFinite(weight))
      codings.push({ coding: name.trim().toLowerCase(), q: weight });
  }
  codings.sort((a, b) => b.q - a.q);
  for (const { coding, q } of codings) {
    if (q <= 0) continue;
    if (coding === "gzip" || coding === "br") return true;
    if (coding === "identity") return false;
  }
  return false;
}

/**
 * The client's own Accept-Encoding on Workers (`request.cf.clientAcceptEncoding`); undefined on Node,
 * whose compression middleware weakens the tags of what it compresses (and where reading the raw
 * request would make the adapter build one).
 */
function edgeAcceptEncoding(c: Context<AppEnv>): string | undefined {
  const deps = c.var.deps as AppEnv["Variables"]["deps"] | undefined;
  if (deps === undefined || deps.compressResponses) return undefined;
  return (c.req.raw as { cf?: { clientAcceptEncoding?: string } }).cf?.clientAcceptEncoding;
}

/** A `Vary` passed with the body, which the 304 keeps. */
function varyOf(headers: HeaderRecord | undefined): HeaderRecord | undefined {
  const vary = headerIn(headers, "vary");
  return vary === undefined ? undefined : { Vary: vary };
}

export function httpCaching(): MiddlewareHandler<AppEnv> {
  return async function httpCachingMiddleware(c, next) {
    const method = c.req.method;
    if (method !== "GET" && method !== "HEAD") return next();
    // Set first, so that a route's own Cache-Control (e.g. no-store) replaces it; an answer other
    // than 200, 206 or 304 replaces it with no-store below.
    c.header(
      "Cache-Control",
      cacheControl[c.req.path.replace(/\/+$/, "")] ?? DEFAULT_CACHE_CONTROL,
    );
    const ifNoneMatch = c.req.header("If-None-Match");
    const weakened = edgeCompresses(edgeAcceptEncoding(c));
    // The validator is computed from the text as it is serialised (c.json, or c.body with a string or
    // bytes), before the response exists: cloning and re-reading a finished response's stream, and
    // a Web Crypto digest per response, cost about 40 % of the CPU of a small GET on Node.
    const body = c.body as BodyCall;
    setOwnMethod(c, "body", ((data: unknown, arg?: BodyArg, headers?: HeaderRecord) => {
      const status = statusOf(arg);
      if (status === 200 && (typeof data === "string" || data instanceof Uint8Array)) {
        const strong = c.var.etag ?? (typeof data === "string" ? textTag(data) : bytesTag(data));
        const tag = weakened ? `W/${strong}` : strong;
        c.header("ETag", tag);
        // 304 keeps what was set on the context (ETag, Cache-Control, X-Request-Id, RateLimit).
        if (ifNoneMatch !== undefined && matches(ifNoneMatch, tag)) {
          notModifiedAnswers.set(c, { data, headers });
          return body(null, 304, varyOf(headers));
        }
      } else if (status !== 200 && status !== 206 && status !== 304) {
        c.header("Cache-Control", "no-store");
        c.header("ETag", undefined);
      }
      return body(data, arg, headers);
    }) as typeof c.body);
    jsonThroughBody(c);
    await next();
  };
}
