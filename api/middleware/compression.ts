/**
 * Response compression where the host does not compress (Node; Workers' edge compresses by itself):
 * gzip, else deflate, when the request's `Accept-Encoding` allows one, for compressible types of at
 * least `thresholdBytes`.
 *
 * The API's answers are complete in memory, so the body is compressed whole by one synchronous zlib
 * call instead of being piped through a `CompressionStream` (whose web stream and thread-pool hops
 * cost more than the deflate). Level 1 by default, as web servers use for dynamic content: a 29 KB
 * assessment becomes 6.8 KB in ~90 µs (level 6: 6.0 KB in ~170 µs). `POST /v1/assessments` with
 * `Accept-Encoding: gzip` went from 582–772 req/s (Hono's `compress`, level 6) to 786–1,020 (this,
 * level 1) in alternating runs on the 2-core development machine.
 *
 * Where a route answers with text or bytes through `c.body` or with `c.json` (which this middleware
 * passes through `c.body`, as HTTP caching does for /v1 GETs), the body is compressed in that call,
 * before the answer exists: reading a finished answer back makes Node's adapter build a full
 * `Response`, read its stream and build another. With `Accept-Encoding: gzip, deflate, br` that cost
 * `GET /v1/me` a third of its throughput and the list of assessments 40 %. Other answers (streams,
 * `c.text`, bodies too large for the loop) are compressed after the route, as before.
 *
 * HEAD is compressed like GET (its body is then dropped), so it carries the GET's Content-Encoding,
 * Content-Length, Vary and ETag; a 304 of HTTP caching carries the Vary and the (weakened) ETag of the
 * 200 it stands for (RFC 9110 §9.3.2, §15.4.5), read from `notModifiedAnswers`.
 */
import { promisify } from "node:util";
import { deflate, deflateSync, gzip, gzipSync } from "node:zlib";
import type { Context, MiddlewareHandler } from "hono";
import { COMPRESSIBLE_CONTENT_TYPE_REGEX } from "hono/utils/compress";
import { notModifiedAnswers } from "../conventions/caching.ts";
import {
  type BodyCall,
  type HeaderRecord,
  headerIn,
  jsonThroughBody,
} from "./json-through-body.ts";
import { setOwnMethod } from "./own-method.ts";

const inLine = { gzip: gzipSync, deflate: deflateSync } as const;
const offLoop = { gzip: promisify(gzip), deflate: promisify(deflate) } as const;
export type ContentEncoding = keyof typeof inLine;
/** Bodies above this go to libuv's thread pool (the ~5 MB docs UI bundle would hold the loop). */
const IN_LINE_MAX_BYTES = 256 * 1024;

/**
 * The encoding to answer with for an `Accept-Encoding` header (RFC 9110 §12.5.3): gzip unless its
 * quality is lower than deflate's; an encoding listed with q=0, or not listed when `*` is absent or
 * q=0, is not acceptable.
 */
export function acceptedEncoding(header: string | undefined): ContentEncoding | undefined {
  if (!header) return undefined;
  const quality = new Map<string, number>();
  for (const part of header.split(",")) {
    const [name = "", ...params] = part.split(";");
    const token = name.trim().toLowerCase();
    if (!token) continue;
    let q = 1;
    for (const param of params) {
      const [key, value] = param.split("=");
      if (key?.trim().toLowerCase() === "q") q = Number(value?.trim());
    }
    if (!Number.isFinite(q) || q < 0 || q > 1) continue;
    quality.set(token, q);
  }
  const of = (token: string) => quality.get(token) ?? quality.get("*") ?? 0;
  const g = of("gzip");
  const d = of("deflate");
  if (g > 0 && g >= d) return "gzip";
  return d > 0 ? "deflate" : undefined;
}

/**
 * Requests whose `Accept-Encoding` names neither encoding skip the middleware: it reads the answer's
 * headers, which makes Node's adapter build a full `Response` for every request otherwise.
 */
const namesAnEncoding = /\b(gzip|deflate)\b/i;
const noTransform = /(?:^|,)\s*no-transform\s*(?:,|$)/i;
const variesByEncoding = /(?:^|,)\s*accept-encoding\s*(?:,|$)/i;

type HeaderSetter = (name: string, value?: string, options?: { append?: boolean }) => void;

/** The headers a route set with `c.header` (and its status) that decide whether to compress. */
interface RouteSet {
  status?: number;
  cacheControl?: string;
  contentEncoding?: string;
  etag?: string;
  vary?: string;
}

/** Whether an answer of this type and Cache-Control may be compressed. */
const compressibleType = (
  type: string | null | undefined,
  cacheControl: string | null | undefined,
) => !!type && COMPRESSIBLE_CONTENT_TYPE_REGEX.test(type) && !noTransform.test(cacheControl ?? "");
/** Whether a Vary value already covers Accept-Encoding. */
const variesAlready = (vary: string | null | undefined) =>
  vary === "*" || (!!vary && variesByEncoding.test(vary));
/** The validator of a compressed answer: its bytes differ from the identity answer's. */
const weak = (tag: string) => (tag.startsWith("W/") ? tag : `W/${tag}`);

interface Settings {
  encoding: ContentEncoding | undefined;
  threshold: number;
  level: number;
}

/**
 * Compresses answers given to `c.body` as text or bytes, or to `c.json` (sent through `c.body` as
 * Hono's own does it), in that call, from the bytes in hand: reading a finished answer back makes
 * Node's adapter build a full Response, read its stream and build another (several hundred µs a
 * request). What that needs to know of the route's own headers is tracked as it sets them. Returns
 * whether the answer was decided there; anything else is left to the path after the route.
 */
function compressInCall(c: Context, { encoding, threshold, level }: Settings): () => boolean {
  let decided = false;
  const set: RouteSet = {};
  const header = c.header as HeaderSetter;
  setOwnMethod(c, "header", ((name: string, value?: string, opts?: { append?: boolean }) => {
    const key = name.toLowerCase();
    const now = (before: string | undefined) =>
      value === undefined ? undefined : opts?.append && before ? `${before}, ${value}` : value;
    if (key === "cache-control") set.cacheControl = now(set.cacheControl);
    else if (key === "content-encoding") set.contentEncoding = now(set.contentEncoding);
    else if (key === "etag") set.etag = now(set.etag);
    else if (key === "vary") set.vary = now(set.vary);
    header(name, value, opts);
  }) as typeof c.header);
  const status = c.status;
  setOwnMethod(c, "status", ((code: Parameters<typeof c.status>[0]) => {
    set.status = code;
    status(code);
  }) as typeof c.status);
  /** Whether an answer of these data and headers may be compressed (by the route's headers too). */
  const compressible = (data: unknown, headers: HeaderRecord | undefined) =>
    (typeof data === "string" || data instanceof Uint8Array) &&
    set.contentEncoding === undefined &&
    headerIn(headers, "content-encoding") === undefined &&
    compressibleType(headerIn(headers, "content-type"), set.cacheControl) &&
    !noTransform.test(headerIn(headers, "cache-control") ?? "");
  /**
   * The headers passed with the body, with `Vary` covering Accept-Encoding: the answer differs by
   * Accept-Encoding from here on, compressed or not (a Vary passed with the body replaces the one set
   * on the context, so it is extended there).
   */
  const varied = (headers: HeaderRecord | undefined) => {
    const passed = headerIn(headers, "vary");
    if (variesAlready(passed ?? set.vary)) return headers;
    if (passed !== undefined) return { ...headers, Vary: `${passed}, Accept-Encoding` };
    c.header("Vary", "Accept-Encoding", { append: true });
    return headers;
  };
  const byteSize = (data: string | Uint8Array) =>
    typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
  const body = c.body as BodyCall;
  setOwnMethod(c, "body", ((data: unknown, arg?: number | ResponseInit, headers?: HeaderRecord) => {
    // A middleware that reads the answer back after the route gets it uncompressed: it is
    // compressed after that middleware instead.
    if (c.get("readsAnswer") === true) return body(data, arg, headers);
    const code = typeof arg === "number" ? arg : arg === undefined ? (set.status ?? 200) : 0;
    if (code === 304) {
      // HTTP caching's 304 for an answer: the Vary and the ETag that answer would carry.
      const answer = notModifiedAnswers.get(c);
      if (answer === undefined || !compressible(answer.data, answer.headers))
        return body(data, arg, headers);
      decided = true;
      const out = varied(headers ?? {});
      if (encoding && byteSize(answer.data) >= threshold && set.etag)
        c.header("ETag", weak(set.etag));
      return body(data, arg, out);
    }
    if (code === 0 || code === 204 || code === 206 || !compressible(data, headers))
      return body(data, arg, headers);
    const bytesIn = data as string | Uint8Array;
    const size = byteSize(bytesIn);
    // Too large for the loop: the path after the route compresses it on the thread pool.
    if (size > IN_LINE_MAX_BYTES) return body(data, arg, headers);
    decided = true;
    let out = varied(headers);
    if (!encoding || size < threshold) return body(data, arg, out);
    const bytes = typeof bytesIn === "string" ? Buffer.from(bytesIn) : bytesIn;
    const compressed = inLine[encoding](bytes, { level });
    const tag = headerIn(headers, "etag");
    if (tag !== undefined) out = { ...out, ETag: weak(tag) };
    else if (set.etag) c.header("ETag", weak(set.etag));
    return body(compressed, arg, {
      ...out,
      "Content-Encoding": encoding,
      "Content-Length": String(compressed.byteLength),
    });
  }) as typeof c.body);
  jsonThroughBody(c);
  return () => decided;
}

export function compression(
  options: { thresholdBytes?: number; level?: number } = {},
): MiddlewareHandler {
  const threshold = options.thresholdBytes ?? 1024;
  const level = options.level ?? 1;
  return async (c, next) => {
    const accept = c.req.header("accept-encoding");
    if (!namesAnEncoding.test(accept ?? "")) return next();
    const encoding = acceptedEncoding(accept);
    const decidedInCall = compressInCall(c, { encoding, threshold, level });
    await next();
    if (decidedInCall()) return;
    const res = c.res;
    if (
      !res.body ||
      res.status === 206 ||
      res.headers.has("content-encoding") ||
      !compressibleType(res.headers.get("content-type"), res.headers.get("cache-control"))
    )
      return;
    // The answer differs by Accept-Encoding from here on, compressed or not.
    const vary = res.headers.get("vary");
    if (!variesAlready(vary))
      c.header("Vary", vary ? `${vary}, Accept-Encoding` : "Accept-Encoding");
    if (!encoding) return;
    const length = Number(res.headers.get("content-length") ?? Number.NaN);
    if (length < threshold) return;
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.byteLength < threshold) {
      c.res = new Response(bytes, res);
      return;
    }
    const compressed =
      bytes.byteLength > IN_LINE_MAX_BYTES
        ? await offLoop[encoding](bytes, { level })
        : inLine[encoding](bytes, { level });
    c.res = new Response(compressed, res);
    c.res.headers.set("Content-Encoding", encoding);
    c.res.headers.set("Content-Length", String(compressed.byteLength));
    const etag = c.res.headers.get("etag");
    if (etag) c.res.headers.set("ETag", weak(etag));
  };
}
