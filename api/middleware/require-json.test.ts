import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../context.ts";
import { onError } from "../errors/handler.ts";
import { requireJson } from "./require-json.ts";

function app() {
  const a = new Hono<AppEnv>();
  a.onError(onError);
  a.use(requireJson());
  a.post("/ack", (c) => c.body(null, 204));
  return a;
}

/** A body as Node's adapter hands one over: a stream, whatever the request's framing said. */
const emptyStream = () =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      controller.close();
    },
  });

const post = (headers: Record<string, string>, body: RequestInit["body"] = emptyStream()) =>
  app().request("/ack", { method: "POST", headers, body, duplex: "half" } as RequestInit);

describe("requireJson", () => {
  it("takes a request without Content-Length and Transfer-Encoding for bodyless (RFC 9112 §6.3)", async () => {
    expect((await post({})).status).toBe(204);
    expect((await post({}, null)).status).toBe(204);
    expect((await post({ "Content-Length": "0" }, null)).status).toBe(204);
  });

  it("refuses a body that is not JSON: declared by Content-Length, or chunked", async () => {
    const declared: Record<string, string>[] = [
      { "Content-Length": "5", "Content-Type": "text/plain" },
      { "Transfer-Encoding": "chunked", "Content-Type": "text/plain" },
      { "Transfer-Encoding": "chunked" },
    ];
    for (const headers of declared) {
      const res = await post(headers, "hello");
      expect(res.status, JSON.stringify(headers)).toBe(415);
      const body = (await res.json()) as { error: { code: string } };
      expect(body.error.code).toBe("unsupported_media_type");
    }
    const json = await post(
      { "Transfer-Encoding": "chunked", "Content-Type": "application/json; charset=utf-8" },
      "{}",
    );
    expect(json.status).toBe(204);
  });
});
