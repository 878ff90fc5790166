import fc from "fast-check";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppDeps, AppEnv } from "../context.ts";
import { ApiError } from "../errors/api-error.ts";
import { onError } from "../errors/handler.ts";
import { bytesTag, httpCaching, textTag } from "./caching.ts";

describe("ETags", () => {
  it("tell apart texts that differ in one code unit, at even and odd positions and lengths", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 300 }),
        fc.nat(),
        fc.integer({ min: 1, max: 0xffff }),
        (text, at, delta) => {
          const i = at % text.length;
          const changed = String.fromCharCode((text.charCodeAt(i) + delta) % 0x10000);
          const other = text.slice(0, i) + changed + text.slice(i + 1);
          expect(textTag(other)).not.toBe(textTag(text));
          expect(textTag(text)).toBe(textTag(`${text}`));
          expect(textTag(text)).toMatch(/^"[0-9a-f]{16}"$/);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("tell apart a text from the same text one unit longer or shorter, and bytes likewise", () => {
    expect(textTag("")).not.toBe(textTag("\u0000"));
    expect(textTag('{"a":1}')).not.toBe(textTag('{"a":1} '));
    expect(textTag('{"a":1}')).not.toBe(textTag('{"a":1'));
    expect(bytesTag(new Uint8Array([1, 2, 3]))).not.toBe(bytesTag(new Uint8Array([1, 2, 3, 0])));
  });
});

/** An app with HTTP caching under /v1 and the API's error mapping. */
function cachingApp() {
  const a = new Hono<AppEnv>();
  a.use("/v1/*", httpCaching());
  a.onError(onError);
  a.get("/v1/market/prices", (c) => {
    const fail = c.req.query("fail");
    if (fail === "400") throw new ApiError("validation_failed", "query.carrier: unknown carrier");
    if (fail === "503")
      throw new ApiError("unavailable", "the database is unavailable", {
        headers: { "Retry-After": "2" },
      });
    return c.json({ data: [] });
  });
  a.get("/v1/things", (c) => c.json({ things: [1, 2, 3] }));
  return a;
}

describe("httpCaching", () => {
  it("gives the Cache-Control policy to 200 and 304 only; errors get no-store", async () => {
    const a = cachingApp();
    const ok = await a.request("/v1/market/prices");
    expect(ok.status).toBe(200);
    expect(ok.headers.get("cache-control")).toBe("public, max-age=60");
    const tag = ok.headers.get("etag") as string;
    const notModified = await a.request("/v1/market/prices", {
      headers: { "If-None-Match": tag },
    });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get("cache-control")).toBe("public, max-age=60");
    const invalid = await a.request("/v1/market/prices?fail=400");
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get("cache-control")).toBe("no-store");
    expect(invalid.headers.get("etag")).toBeNull();
    const down = await a.request("/v1/market/prices?fail=503");
    expect(down.status).toBe(503);
    expect(down.headers.get("cache-control")).toBe("no-store");
    expect(down.headers.get("retry-after")).toBe("2");
  });

  it("treats HEAD like GET: ETag, Cache-Control and 304 for a matching If-None-Match", async () => {
    const a = cachingApp();
    const get = await a.request("/v1/things");
    const head = await a.request("/v1/things", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    expect(head.headers.get("etag")).toBe(get.headers.get("etag"));
    expect(head.headers.get("cache-control")).toBe("private, no-cache");
    const again = await a.request("/v1/things", {
      method: "HEAD",
      headers: { "If-None-Match": get.headers.get("etag") as string },
    });
    expect(again.status).toBe(304);
    expect(again.headers.get("etag")).toBe(get.headers.get("etag"));
  });

  it("tags a 200 with the strong ETag of its identity bytes; If-None-Match compares weakly", async () => {
    const a = cachingApp();
    const ok = await a.request("/v1/things");
    const body = await ok.text();
    expect(ok.headers.get("etag")).toBe(textTag(body));
    expect(ok.headers.get("etag")).toMatch(/^"[0-9a-f]{16}"$/);
    const weak = await a.request("/v1/things", {
      headers: { "If-None-Match": `"other", W/${textTag(body)}` },
    });
    expect(weak.status).toBe(304);
  });
});

describe("httpCaching on Workers, behind Cloudflare's front line", () => {
  /** A Worker's request: its own Accept-Encoding is `br, gzip`, the client's is in `cf`. */
  function workerRequest(clientAcceptEncoding: string | undefined, headers = {}) {
    const req = new Request("http://api.test/v1/things", {
      headers: { "Accept-Encoding": "br, gzip", ...headers },
    });
    Object.defineProperty(req, "cf", { value: { clientAcceptEncoding } });
    return req;
  }
  function worker(compressResponses?: boolean) {
    const a = new Hono<AppEnv>();
    a.use(async (c, next) => {
      c.set("deps", { compressResponses } as AppDeps);
      await next();
    });
    a.use("/v1/*", httpCaching());
    a.get("/v1/things", (c) => c.json({ things: [1, 2, 3] }));
    return a;
  }

  it("weakens the tag of an answer the front line compresses for the client, and matches either form", async () => {
    const a = worker();
    const plain = (await a.request(workerRequest("identity"))).headers.get("etag") as string;
    expect(plain).toMatch(/^"[0-9a-f]{16}"$/);
    for (const encoding of ["gzip", "br", "gzip, deflate, br, zstd", "deflate, gzip;q=0.5"]) {
      const res = await a.request(workerRequest(encoding));
      expect(res.headers.get("etag"), encoding).toBe(`W/${plain}`);
      for (const sent of [plain, `W/${plain}`]) {
        const again = await a.request(workerRequest(encoding, { "If-None-Match": sent }));
        expect(again.status, `${encoding} ${sent}`).toBe(304);
        expect(again.headers.get("etag")).toBe(`W/${plain}`);
      }
    }
    for (const encoding of ["", "deflate", "identity", "identity, gzip;q=0.5", "gzip;q=0", "*"]) {
      const res = await a.request(workerRequest(encoding));
      expect(res.headers.get("etag"), encoding).toBe(plain);
    }
    expect((await a.request(workerRequest(undefined))).headers.get("etag")).toBe(plain);
    // Node compresses in the app, whose middleware weakens what it compresses.
    const node = await worker(true).request(workerRequest("gzip"));
    expect(node.headers.get("etag")).toBe(plain);
  });
});
