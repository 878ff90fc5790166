import { createClient } from "@libsql/client";
import { describe, expect, it } from "vitest";
import { createDatabase, type Database } from "../core/db/database.ts";
import { createHarness } from "./testing/harness.ts";

/** A database whose every statement fails or hangs: a fake at the module boundary. */
function brokenDb(mode: "fail" | "hang"): Database {
  const client = createClient({ url: ":memory:" });
  client.execute = (() =>
    mode === "fail"
      ? Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:9"))
      : new Promise(() => {})) as typeof client.execute;
  return createDatabase(client);
}

describe("health", () => {
  it("GET /health/live answers 200 without touching the database", async () => {
    const h = await createHarness({ database: brokenDb("fail") });
    const res = await h.call("/health/live", undefined);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "live", version: "test" });
  });

  it("GET /health/ready reports the database check with its latency", async () => {
    const h = await createHarness();
    const res = await h.call("/health/ready", undefined);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      status: string;
      checks: { database: { status: string; latencyMs: number } };
    };
    expect(body.status).toBe("ready");
    expect(body.checks.database.status).toBe("up");
    expect(body.checks.database.latencyMs).toBeGreaterThanOrEqual(0);
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("GET /health/ready answers 503 naming the failing component and the reason", async () => {
    const h = await createHarness({ database: brokenDb("fail") });
    const res = await h.call("/health/ready", undefined);
    expect(res.status).toBe(503);
    const body = (await res.json()) as {
      error: {
        code: string;
        message: string;
        details: { checks: { database: { status: string; reason: string } } };
      };
    };
    expect(body.error.code).toBe("not_ready");
    expect(body.error.message).toContain("database");
    expect(body.error.details.checks.database).toMatchObject({ status: "down" });
    expect(body.error.details.checks.database.reason).toContain("ECONNREFUSED");
  });

  it("GET /health/ready gives up on a hanging database after the deadline", async () => {
    const h = await createHarness({
      database: brokenDb("hang"),
      settings: { READINESS_TIMEOUT_MS: "200" },
    });
    const started = performance.now();
    const res = await h.call("/health/ready", undefined);
    expect(res.status).toBe(503);
    expect(performance.now() - started).toBeLessThan(2000);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toContain("no answer within 200 ms");
  });
});

describe("errors, request ids, telemetry", () => {
  it("answers unknown routes with the error shape and 404", async () => {
    const h = await createHarness();
    const res = await h.call("/nope", undefined);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: { code: "not_found", message: "no route for GET /nope" },
    });
  });

  it("hides internals of unexpected errors but logs them with the request id", async () => {
    const h = await createHarness();
    h.app.get("/boom", () => {
      throw new Error("secret internals: password=hunter2");
    });
    const res = await h.call("/boom", undefined);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain("hunter2");
    const body = JSON.parse(text) as { error: { code: string; details: { requestId: string } } };
    expect(body.error.code).toBe("internal");
    const requestId = res.headers.get("x-request-id");
    expect(body.error.details.requestId).toBe(requestId);
    const logged = h.logs.find((l) => l.record.msg === "unhandled error");
    expect(logged?.record.requestId).toBe(requestId);
  });

  it("puts a request id on every response and keeps a well-formed incoming one", async () => {
    const h = await createHarness();
    const a = await h.call("/health/live", undefined);
    const b = await h.call("/nope", undefined);
    expect(a.headers.get("x-request-id")).toMatch(/^[\w-]{16,}$/);
    expect(b.headers.get("x-request-id")).toMatch(/^[\w-]{16,}$/);
    expect(a.headers.get("x-request-id")).not.toBe(b.headers.get("x-request-id"));
    const c = await h.call("/health/live", undefined, {
      headers: { "X-Request-Id": "client-chosen-id-123" },
    });
    expect(c.headers.get("x-request-id")).toBe("client-chosen-id-123");
    const access = h.logs.filter((l) => l.record.msg === "request");
    expect(access.map((l) => l.record.route)).toEqual([
      "/health/live",
      "(unmatched)",
      "/health/live",
    ]);
    expect(access[1]?.record.status).toBe(404);
  });

  it("records a RequestEvent per request with the route pattern, never the raw path", async () => {
    const h = await createHarness({ settings: { SERVICE_NAME: "edge-api", REGION: "ATH" } });
    const { key } = await h.tenant();
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    await h.call("/v1/api-keys/key_AAAAAAAAAAAAAAAA", key, { headers: { traceparent } });
    const event = h.events.at(-1);
    expect(event).toMatchObject({
      service: "edge-api",
      route: "/v1/api-keys/:id",
      method: "GET",
      status: 404,
      region: "ATH",
      traceparent,
    });
    expect(event?.durationMs).toBeGreaterThanOrEqual(0);
  });
});
