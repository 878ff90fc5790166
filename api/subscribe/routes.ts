/**
 * The subscriber page at `/subscribe/`: HTML, style, scripts, service worker, web app manifest and
 * icons, embedded in the app (assets.generated.ts) so Node and Workers serve the same bytes without a
 * file system. Every response carries a strict Content-Security-Policy (same-origin scripts, styles,
 * images and connections only; no inline script or style, no framing); responses are revalidated
 * by ETag (`no-cache`), so a new deployment reaches browsers, and the service worker updates, at once.
 */
import { Hono } from "hono";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors/api-error.ts";
import { type EmbeddedAsset, embeddedAssets } from "./assets.generated.ts";

export const subscribePageCsp = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "worker-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const decodeBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

interface Served {
  type: string;
  etag: string;
  body: string | Uint8Array<ArrayBuffer>;
}

const served = new Map<string, Served>(
  Object.entries(embeddedAssets).map(([name, asset]: [string, EmbeddedAsset]) => [
    name,
    {
      type: asset.type,
      etag: asset.etag,
      body: asset.text ?? decodeBase64(asset.base64 ?? ""),
    },
  ]),
);

/** Whether `If-None-Match` names the asset's current ETag. */
const fresh = (ifNoneMatch: string | undefined, etag: string) =>
  ifNoneMatch?.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag) === true;

export const subscribePageRoutes = new Hono<AppEnv>()
  // The page's relative URLs (sw.js, manifest, icons) resolve under /subscribe/.
  .get("/", (c) => c.redirect("/subscribe/", 308))
  .get("/:file{[A-Za-z0-9._-]*}", (c) => {
    const name = c.req.param("file") || "index.html";
    const asset = served.get(name);
    if (!asset) throw new ApiError("not_found", "no such file");
    c.header("Content-Security-Policy", subscribePageCsp);
    c.header("Cache-Control", "no-cache");
    c.header("ETag", asset.etag);
    if (fresh(c.req.header("If-None-Match"), asset.etag)) return c.body(null, 304);
    c.header("Content-Type", asset.type);
    return c.body(asset.body);
  });
