import { createClient } from "@libsql/client";
import { describe, expect, it } from "vitest";
import { createDatabase, type Database } from "../core/db/database.ts";
import { ApiError } from "../core/http/errors.ts";
import { createLogger, type LogLevel } from "../core/observability/logger.ts";
import { createApp } from "./app.ts";
import type { AppDeps } from "./context.ts";

function harness(database: () => Database) {
  const logs: { level: LogLevel; record: Record<string, unknown> }[] = [];
  const deps: AppDeps = {
    database,
    logger: createLogger({
      service: "api-test",
      level: "debug",
      writer: (level, line) => logs.push({ level, record: JSON.parse(line) }),
    }),
    now: () => 0,
    readinessTimeoutMs: 200,
    version: "test",
  };
  const app = createApp(deps);
  // Routes that only the tests mount, to exercise the error mapping.
  app.get("/boom", () => {
    throw new Error("secret internals: password=hunter2");
  });
  app.get("/conflict", () => {
    throw new ApiError("conflict", "already exists", { details: { id: "x" } });
  });
  return { app, logs };
}

const memoryDb = () => createDatabase(createClient({ url: ":memory:" }));

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
    const { app } = harness(() => brokenDb("fail"));
    const res = await app.request("/health/live");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "live", version: "test" });
  });

  it("GET /health/ready reports the database check with its latency", async () => {
    const db = memoryDb();
    const { app } = harness(() => db);
    const res = await app.request("/health/ready");
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
    const { app } = harness(() => brokenDb("fail"));
    const res = await app.request("/health/ready");
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
    const { app } = harness(() => brokenDb("hang"));
    const started = performance.now();
    const res = await app.request("/health/ready");
    expect(res.status).toBe(503);
    expect(performance.now() - started).toBeLessThan(2000);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toContain("no answer within 200 ms");
  });
});

describe("errors and request ids", () => {
  it("answers unknown routes with the error shape and 404", async () => {
    const { app } = harness(memoryDb);
    const res = await app.request("/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: { code: "not_found", message: "no route for GET /nope" },
    });
  });

  it("hides internals of unexpected errors but logs them with the request id", async () => {
    const { app, logs } = harness(memoryDb);
    const res = await app.request("/boom");
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain("hunter2");
    const body = JSON.parse(text) as { error: { code: string; details: { requestId: string } } };
    expect(body.error.code).toBe("internal");
    const requestId = res.headers.get("x-request-id");
    expect(body.error.details.requestId).toBe(requestId);
    const logged = logs.find((l) => l.record.msg === "unhandled error");
    expect(logged?.record.requestId).toBe(requestId);
  });

  it("maps ApiError to its status with details", async () => {
    const { app } = harness(memoryDb);
    const res = await app.request("/conflict");
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({
      error: { code: "conflict", message: "already exists", details: { id: "x" } },
    });
  });

  it("puts a request id on every response and keeps a well-formed incoming one", async () => {
    const { app, logs } = harness(memoryDb);
    const a = await app.request("/health/live");
    const b = await app.request("/nope");
    expect(a.headers.get("x-request-id")).toMatch(/^[\w-]{16,}$/);
    expect(b.headers.get("x-request-id")).toMatch(/^[\w-]{16,}$/);
    expect(a.headers.get("x-request-id")).not.toBe(b.headers.get("x-request-id"));
    const c = await app.request("/health/live", {
      headers: { "X-Request-Id": "client-chosen-id-123" },
    });
    expect(c.headers.get("x-request-id")).toBe("client-chosen-id-123");
    const access = logs.filter((l) => l.record.msg === "request");
    expect(access.map((l) => l.record.route)).toEqual(["/health/live", "/*", "/health/live"]);
    expect(access[1]?.record.status).toBe(404);
  });
});
