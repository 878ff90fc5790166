import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../context.ts";
import { onError } from "../errors/handler.ts";
import { bodySize } from "./body-size.ts";
import { contextVars } from "./context-vars.ts";

function app(maxBytes: number) {
  const a = new Hono<AppEnv>();
  a.use(bodySize(maxBytes));
  a.onError(onError);
  a.all("/", async (c) => c.json({ got: c.req.method === "GET" ? "" : await c.req.text() }));
  return a;
}

/** A body the client streams without declaring its length (HTTP/1.1 chunked). */
const streamed = (text: string) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      const bytes = new TextEncoder().encode(text);
      for (let i = 0; i < bytes.length; i += 16) controller.enqueue(bytes.subarray(i, i + 16));
      controller.close();
    },
  });

describe("bodySize", () => {
  it("judges a declared length by its Content-Length", async () => {
    const over = await app(64).request("/", {
      method: "POST",
      body: "x".repeat(65),
      headers: { "Content-Length": "65" },
    });
    expect(over.status).toBe(413);
    expect(((await over.json()) as { error: { code: string } }).error.code).toBe(
      "payload_too_large",
    );
    const within = await app(64).request("/", {
      method: "POST",
      body: "x".repeat(64),
      headers: { "Content-Length": "64" },
    });
    expect(within.status).toBe(200);
    expect(await within.json()).toEqual({ got: "x".repeat(64) });
  });

  it("counts a body without a declared length as it streams", async () => {
    const over = await app(64).request("/", {
      method: "POST",
      body: streamed("y".repeat(200)),
      headers: { "Transfer-Encoding": "chunked" },
      duplex: "half",
    } as RequestInit);
    expect(over.status).toBe(413);
    const within = await app(64).request("/", {
      method: "POST",
      body: streamed("y".repeat(40)),
      headers: { "Transfer-Encoding": "chunked" },
      duplex: "half",
    } as RequestInit);
    expect(within.status).toBe(200);
    expect(await within.json()).toEqual({ got: "y".repeat(40) });
  });

  it("lets bodyless GETs through", async () => {
    const res = await app(1).request("/");
    expect(res.status).toBe(200);
  });
});

describe("contextVars", () => {
  it("keeps c.var current with every c.set, before and after it runs", async () => {
    const a = new Hono<{ Variables: { early: string; late: string } }>();
    a.use(async (c, next) => {
      c.set("early", "a");
      await next();
    });
    a.use(contextVars());
    a.get("/", (c) => {
      const before = { ...c.var };
      c.set("late", "b");
      c.set("early", "c");
      return c.json({ before, after: c.var, get: c.get("early") });
    });
    const res = await a.request("/");
    expect(await res.json()).toEqual({
      before: { early: "a" },
      after: { early: "c", late: "b" },
      get: "c",
    });
  });
});
