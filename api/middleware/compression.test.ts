import { gunzipSync, inflateSync } from "node:zlib";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { acceptedEncoding, compression } from "./compression.ts";

const big = JSON.stringify({
  items: Array.from({ length: 200 }, (_, i) => ({ i, name: `item ${i}` })),
});

/** Above the size compressed in line: it goes to the thread pool. */
const large = "const x = 1;\n".repeat(30_000);

function app() {
  const a = new Hono();
  a.use(compression({ thresholdBytes: 1024 }));
  a.get("/json", (c) => c.json(JSON.parse(big)));
  a.get("/tagged", (c) => {
    c.header("ETag", '"abc"');
    return c.json(JSON.parse(big));
  });
  a.get("/small", (c) => c.json({ ok: true }));
  a.get("/large", (c) => c.body(large, 200, { "content-type": "text/javascript" }));
  a.get("/png", (c) => c.body(new Uint8Array(4096), 200, { "content-type": "image/png" }));
  a.get("/no-transform", (c) => {
    c.header("Cache-Control", "no-transform");
    return c.json(JSON.parse(big));
  });
  a.get("/partial", (c) => c.body(big, 206, { "content-type": "application/json" }));
  return a;
}

const get = (path: string, acceptEncoding?: string, method = "GET") =>
  app().request(path, {
    method,
    headers: acceptEncoding === undefined ? {} : { "accept-encoding": acceptEncoding },
  });

describe("acceptedEncoding", () => {
  it("prefers gzip, honours q-values and the wildcard", () => {
    expect(acceptedEncoding("gzip, deflate, br")).toBe("gzip");
    expect(acceptedEncoding("deflate")).toBe("deflate");
    expect(acceptedEncoding("gzip;q=0.5, deflate")).toBe("deflate");
    expect(acceptedEncoding("gzip;q=0, deflate;q=0")).toBeUndefined();
    expect(acceptedEncoding("gzip;q=0")).toBeUndefined();
    expect(acceptedEncoding("*")).toBe("gzip");
    expect(acceptedEncoding("*;q=0.2, gzip;q=0")).toBe("deflate");
    expect(acceptedEncoding("br, identity")).toBeUndefined();
    expect(acceptedEncoding("GZIP")).toBe("gzip");
    expect(acceptedEncoding("gzip;q=banana, deflate")).toBe("deflate");
    expect(acceptedEncoding("")).toBeUndefined();
    expect(acceptedEncoding(undefined)).toBeUndefined();
  });
});

describe("compression middleware", () => {
  it("gzips a large JSON answer whole: the same bytes decompressed, its length, Vary", async () => {
    const res = await get("/json", "gzip, deflate, br");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-encoding")).toBe("gzip");
    expect(res.headers.get("vary")).toBe("Accept-Encoding");
    const body = new Uint8Array(await res.arrayBuffer());
    expect(res.headers.get("content-length")).toBe(String(body.byteLength));
    expect(body.byteLength).toBeLessThan(big.length / 3);
    expect(gunzipSync(body).toString()).toBe(big);
  });

  it("compresses a body too large for the loop on the thread pool, alike", async () => {
    for (const [encoding, decode] of [
      ["gzip", gunzipSync],
      ["deflate", inflateSync],
    ] as const) {
      const res = await get("/large", encoding);
      expect(res.headers.get("content-encoding")).toBe(encoding);
      const body = new Uint8Array(await res.arrayBuffer());
      expect(res.headers.get("content-length")).toBe(String(body.byteLength));
      expect(decode(body).toString()).toBe(large);
    }
  });

  it("answers deflate (zlib format) when only deflate is accepted", async () => {
    const res = await get("/json", "deflate");
    expect(res.headers.get("content-encoding")).toBe("deflate");
    expect(inflateSync(new Uint8Array(await res.arrayBuffer())).toString()).toBe(big);
  });

  it("weakens a strong ETag of a compressed answer", async () => {
    const res = await get("/tagged", "gzip");
    expect(res.headers.get("etag")).toBe('W/"abc"');
    expect((await get("/tagged")).headers.get("etag")).toBe('"abc"');
  });

  it("leaves alone small, incompressible, no-transform, partial and HEAD answers", async () => {
    for (const path of ["/small", "/png", "/no-transform", "/partial"]) {
      const res = await get(path, "gzip");
      expect(res.headers.get("content-encoding"), path).toBeNull();
    }
    const small = await get("/small", "gzip");
    expect(await small.json()).toEqual({ ok: true });
    expect(small.headers.get("vary")).toBe("Accept-Encoding");
    expect((await get("/partial", "gzip")).status).toBe(206);
    expect((await get("/json", "gzip", "HEAD")).headers.get("content-encoding")).toBeNull();
  });

  it("answers identity when nothing acceptable is offered", async () => {
    for (const header of [undefined, "br", "gzip;q=0"]) {
      const res = await get("/json", header);
      expect(res.headers.get("content-encoding")).toBeNull();
      expect(await res.text()).toBe(big);
    }
  });
});
