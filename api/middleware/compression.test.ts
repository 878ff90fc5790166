import { gunzipSync, gzipSync, inflateSync } from "node:zlib";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../context.ts";
import { httpCaching } from "../conventions/caching.ts";
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
  // Hono's c.text does not go through c.body: compressed after the route.
  a.get("/text", (c) => c.text(big));
  // Answers handed to c.body as text or bytes: compressed where they are given.
  const json = { "content-type": "application/json" };
  a.get("/body/text", (c) => c.body(big, 200, json));
  a.post("/body/bytes", (c) => c.body(new TextEncoder().encode(big), 201, json));
  a.get("/body/tagged", (c) => {
    c.header("ETag", '"abc"');
    return c.body(big, 200, json);
  });
  a.get("/body/vary", (c) => c.body(big, 200, { ...json, Vary: "Origin" }));
  a.get("/body/etag", (c) => c.body(big, 200, { ...json, ETag: '"xyz"' }));
  a.get("/body/varied", (c) => {
    c.header("Vary", "accept-encoding");
    return c.body(big, 200, json);
  });
  a.get("/body/small", (c) => c.body('{"ok":true}', 200, json));
  a.get("/body/no-transform", (c) => {
    c.header("Cache-Control", "private, no-transform");
    return c.body(big, 200, json);
  });
  a.get("/body/partial", (c) => {
    c.status(206);
    return c.body(big, undefined, json);
  });
  a.get("/body/encoded", (c) =>
    c.body(gzipSync(big), 200, { ...json, "Content-Encoding": "gzip" }),
  );
  a.get("/body/png", (c) => c.body(new Uint8Array(4096), 200, { "content-type": "image/png" }));
  // What c.body and c.json gave the route: compressed already (nothing is read back after it).
  a.get("/body/inspect", (c) => {
    const res = c.body(big, 200, json);
    return c.text(res.headers.get("content-encoding") ?? "identity");
  });
  a.get("/json/inspect", (c) => {
    const res = c.json(JSON.parse(big), 201);
    return c.text(
      `${res.status} ${res.headers.get("content-type")} ${res.headers.get("content-encoding")}`,
    );
  });
  a.get("/json/typed", (c) =>
    c.json(JSON.parse(big), 200, { "Content-Type": "application/problem+json" }),
  );
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

  it("compresses an answer not given through c.body after the route, alike", async () => {
    const res = await get("/text", "gzip");
    expect(res.headers.get("content-encoding")).toBe("gzip");
    expect(res.headers.get("vary")).toBe("Accept-Encoding");
    const body = new Uint8Array(await res.arrayBuffer());
    expect(res.headers.get("content-length")).toBe(String(body.byteLength));
    expect(gunzipSync(body).toString()).toBe(big);
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

  it("leaves alone small, incompressible, no-transform and partial answers", async () => {
    for (const path of ["/small", "/png", "/no-transform", "/partial"]) {
      const res = await get(path, "gzip");
      expect(res.headers.get("content-encoding"), path).toBeNull();
    }
    const small = await get("/small", "gzip");
    expect(await small.json()).toEqual({ ok: true });
    expect(small.headers.get("vary")).toBe("Accept-Encoding");
    expect((await get("/partial", "gzip")).status).toBe(206);
  });

  it("answers HEAD with the headers of the GET: Content-Encoding, its length, Vary, the weak ETag", async () => {
    for (const path of ["/json", "/tagged", "/body/text", "/body/tagged", "/text", "/small"]) {
      const got = await get(path, "gzip");
      const head = await get(path, "gzip", "HEAD");
      expect(head.status, path).toBe(200);
      expect(await head.text(), path).toBe("");
      for (const name of ["content-encoding", "content-length", "vary", "etag", "content-type"])
        expect(head.headers.get(name), `${path} ${name}`).toBe(got.headers.get(name));
    }
  });

  it("answers identity when nothing acceptable is offered", async () => {
    for (const header of [undefined, "br", "gzip;q=0"]) {
      const res = await get("/json", header);
      expect(res.headers.get("content-encoding")).toBeNull();
      expect(await res.text()).toBe(big);
    }
  });

  it("compresses text and bytes given to c.body where they are given, alike", async () => {
    for (const [path, method, status] of [
      ["/body/text", "GET", 200],
      ["/body/bytes", "POST", 201],
    ] as const) {
      const res = await get(path, "gzip, deflate", method);
      expect(res.status).toBe(status);
      expect(res.headers.get("content-encoding")).toBe("gzip");
      expect(res.headers.get("content-type")).toBe("application/json");
      expect(res.headers.get("vary")).toBe("Accept-Encoding");
      const body = new Uint8Array(await res.arrayBuffer());
      expect(res.headers.get("content-length")).toBe(String(body.byteLength));
      expect(gunzipSync(body).toString()).toBe(big);
      const deflated = await get(path, "deflate", method);
      expect(inflateSync(new Uint8Array(await deflated.arrayBuffer())).toString()).toBe(big);
    }
    expect(await (await get("/body/inspect", "gzip")).text()).toBe("gzip");
    expect(await (await get("/body/inspect")).text()).toBe("identity");
    expect(await (await get("/json/inspect", "gzip")).text()).toBe("201 application/json gzip");
    expect(await (await get("/json/inspect")).text()).toBe("201 application/json null");
    const typed = await get("/json/typed", "gzip");
    expect(typed.headers.get("content-type")).toBe("application/problem+json");
    expect(gunzipSync(new Uint8Array(await typed.arrayBuffer())).toString()).toBe(big);
  });

  it("at the source too: weakens a strong ETag, extends Vary, leaves the rest alone", async () => {
    const tagged = await get("/body/tagged", "gzip");
    expect(tagged.headers.get("etag")).toBe('W/"abc"');
    expect((await get("/body/tagged")).headers.get("etag")).toBe('"abc"');
    expect((await get("/body/vary", "gzip")).headers.get("vary")).toBe("Origin, Accept-Encoding");
    expect((await get("/body/etag", "gzip")).headers.get("etag")).toBe('W/"xyz"');
    expect((await get("/body/etag")).headers.get("etag")).toBe('"xyz"');
    const varied = await get("/body/varied", "gzip");
    expect(varied.headers.get("vary")).toBe("accept-encoding");
    expect(varied.headers.get("content-encoding")).toBe("gzip");
    for (const path of ["/body/small", "/body/no-transform", "/body/partial", "/body/png"]) {
      const res = await get(path, "gzip");
      expect(res.headers.get("content-encoding"), path).toBeNull();
    }
    const small = await get("/body/small", "gzip");
    expect(small.headers.get("vary")).toBe("Accept-Encoding");
    expect(await small.text()).toBe('{"ok":true}');
    expect((await get("/body/partial", "gzip")).status).toBe(206);
    expect(await (await get("/body/no-transform", "gzip")).text()).toBe(big);
    // Already encoded by the route: passed on as it is.
    const encoded = await get("/body/encoded", "gzip");
    expect(gunzipSync(new Uint8Array(await encoded.arrayBuffer())).toString()).toBe(big);
    // A request naming gzip or deflate gets Vary, one naming neither is not looked at.
    for (const [header, vary] of [
      ["gzip;q=0", "Accept-Encoding"],
      ["br", null],
    ] as const) {
      const res = await get("/body/text", header);
      expect(res.headers.get("content-encoding")).toBeNull();
      expect(res.headers.get("vary")).toBe(vary);
      expect(await res.text()).toBe(big);
    }
  });

  it("with HTTP caching: the strong ETag of the identity answer, weakened compressed, and 304 for it", async () => {
    const a = new Hono<AppEnv>();
    a.use(compression({ thresholdBytes: 1024 }));
    a.use("/v1/*", httpCaching());
    a.get("/v1/things", (c) => c.json(JSON.parse(big)));
    const plain = await a.request("/v1/things");
    const zipped = await a.request("/v1/things", { headers: { "accept-encoding": "gzip" } });
    const tag = zipped.headers.get("etag") ?? "";
    expect(tag).toMatch(/^W\//);
    expect(plain.headers.get("etag")).toMatch(/^"/);
    expect(tag).toBe(`W/${plain.headers.get("etag")}`);
    expect(zipped.headers.get("content-encoding")).toBe("gzip");
    expect(gunzipSync(new Uint8Array(await zipped.arrayBuffer())).toString()).toBe(big);
    const again = await a.request("/v1/things", {
      headers: { "accept-encoding": "gzip", "if-none-match": tag },
    });
    expect(again.status).toBe(304);
    expect(again.headers.get("content-encoding")).toBeNull();
    expect(await again.text()).toBe("");
  });

  it("with HTTP caching: a 304 carries the Vary and the ETag its 200 would (RFC 9110 §15.4.5)", async () => {
    const a = new Hono<AppEnv>();
    a.use(compression({ thresholdBytes: 1024 }));
    a.use("/v1/*", httpCaching());
    a.get("/v1/big", (c) => c.json(JSON.parse(big)));
    a.get("/v1/small", (c) => c.json({ ok: true }));
    a.get("/v1/varied", (c) =>
      c.body(big, 200, { "content-type": "application/json", Vary: "Origin" }),
    );
    a.get("/v1/png", (c) => c.body(new Uint8Array(4096), 200, { "content-type": "image/png" }));
    for (const path of ["/v1/big", "/v1/small", "/v1/varied", "/v1/png"]) {
      for (const encoding of ["gzip", "deflate", "gzip;q=0"]) {
        const ok = await a.request(path, { headers: { "accept-encoding": encoding } });
        expect(ok.status).toBe(200);
        const tag = ok.headers.get("etag") as string;
        for (const [method, sent] of [
          ["GET", tag],
          ["GET", tag.replace(/^W\//, "")],
          ["HEAD", tag],
        ]) {
          const where = `${method} ${path} ${encoding} If-None-Match: ${sent}`;
          const again = await a.request(path, {
            method,
            headers: { "accept-encoding": encoding, "if-none-match": sent as string },
          });
          expect(again.status, where).toBe(304);
          expect(again.headers.get("vary"), where).toBe(ok.headers.get("vary"));
          expect(again.headers.get("etag"), where).toBe(tag);
          expect(again.headers.get("cache-control"), where).toBe("private, no-cache");
        }
      }
    }
    // Compressed 200s carry the weak tag, identity ones the strong tag of the same bytes.
    const zipped = await a.request("/v1/big", { headers: { "accept-encoding": "gzip" } });
    const plain = await a.request("/v1/big", { headers: { "accept-encoding": "gzip;q=0" } });
    expect(zipped.headers.get("etag")).toBe(`W/${plain.headers.get("etag")}`);
    expect(plain.headers.get("vary")).toBe("Accept-Encoding");
    const small = await a.request("/v1/small", { headers: { "accept-encoding": "gzip" } });
    expect(small.headers.get("etag")).toMatch(/^"/);
    expect(small.headers.get("vary")).toBe("Accept-Encoding");
    expect(
      (await a.request("/v1/png", { headers: { "accept-encoding": "gzip" } })).headers.get("vary"),
    ).toBeNull();
  });

  it("gives a middleware that reads the answer back the identity bytes, then compresses", async () => {
    const a = new Hono();
    a.use(compression({ thresholdBytes: 1024 }));
    let read = "";
    a.use(async (c, next) => {
      c.set("readsAnswer" as never, true as never);
      await next();
      read = await c.res.clone().text();
    });
    a.get("/stored", (c) => c.body(big, 200, { "content-type": "application/json" }));
    const res = await a.request("/stored", { headers: { "accept-encoding": "gzip" } });
    expect(read).toBe(big);
    expect(res.headers.get("content-encoding")).toBe("gzip");
    expect(gunzipSync(new Uint8Array(await res.arrayBuffer())).toString()).toBe(big);
  });
});
