import { DrizzleQueryError } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createLogger, type LogLevel, serializeError, setActiveSpanIds } from "./logger.ts";

function capture(level: LogLevel | "silent" = "debug") {
  const lines: { level: LogLevel; record: Record<string, unknown> }[] = [];
  const logger = createLogger({
    service: "test",
    level,
    clock: () => new Date("2026-01-02T03:04:05.000Z"),
    writer: (lvl, line) => lines.push({ level: lvl, record: JSON.parse(line) }),
  });
  return { logger, lines };
}

describe("createLogger", () => {
  it("writes one JSON object per line with timestamp, level, message and service", () => {
    const { logger, lines } = capture();
    logger.info("started", { port: 8787 });
    expect(lines).toEqual([
      {
        level: "info",
        record: {
          ts: "2026-01-02T03:04:05.000Z",
          level: "info",
          msg: "started",
          service: "test",
          port: 8787,
        },
      },
    ]);
  });

  it("redacts flat lines the same way (secret names, URL credentials, numbers under secret names)", () => {
    const { logger, lines } = capture();
    const child = logger.child({ requestId: "r1", token: "t0ps3cret" });
    child.info("request", {
      route: "/v1/x",
      status: 200,
      ok: true,
      password: "p",
      apiKey: 42,
      target: "https://user:pw@example.com/hook",
      skipped: undefined,
    });
    expect(lines[0]?.record).toEqual({
      ts: "2026-01-02T03:04:05.000Z",
      level: "info",
      msg: "request",
      service: "test",
      requestId: "r1",
      token: "[redacted]",
      route: "/v1/x",
      status: 200,
      ok: true,
      password: "[redacted]",
      apiKey: "[redacted]",
      target: "https://[redacted]@example.com/hook",
    });
  });

  it("filters below the configured level", () => {
    const { logger, lines } = capture("warn");
    logger.debug("a");
    logger.info("b");
    logger.warn("c");
    logger.error("d");
    expect(lines.map((l) => l.record.msg)).toEqual(["c", "d"]);
  });

  it("redacts secrets by key, nested, and credentials inside URLs", () => {
    const { logger, lines } = capture();
    logger.info("config", {
      DATABASE_AUTH_TOKEN: "eyJsecret",
      headers: { Authorization: "Bearer gp_live_abc", accept: "json" },
      url: "libsql://admin:hunter2@db.example.com/x",
      apiKey: "k",
    });
    const record = lines[0]?.record as Record<string, unknown>;
    expect(record.DATABASE_AUTH_TOKEN).toBe("[redacted]");
    expect(record.apiKey).toBe("[redacted]");
    expect(record.headers).toEqual({ Authorization: "[redacted]", accept: "json" });
    expect(record.url).toBe("libsql://[redacted]@db.example.com/x");
    expect(JSON.stringify(record)).not.toMatch(/hunter2|eyJsecret|gp_live_abc/);
  });

  it("serialises errors with their cause and child fields", () => {
    const { logger, lines } = capture();
    const child = logger.child({ requestId: "r1" });
    child.error("failed", { err: new Error("outer", { cause: new Error("inner") }) });
    const record = lines[0]?.record as {
      requestId: string;
      err: { message: string; cause: { message: string } };
    };
    expect(record.requestId).toBe("r1");
    expect(record.err.message).toBe("outer");
    expect(record.err.cause.message).toBe("inner");
  });

  it("adds trace_id and span_id to lines written inside a span once tracing is set up", () => {
    const { logger, lines } = capture();
    logger.info("before");
    let active: { traceId: string; spanId: string } | undefined = {
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
    };
    setActiveSpanIds(() => active);
    try {
      logger.child({ requestId: "r1" }).info("inside", { status: 200 });
      active = undefined;
      logger.info("outside");
    } finally {
      setActiveSpanIds(undefined);
    }
    expect(lines.map((l) => [l.record.msg, l.record.trace_id, l.record.span_id])).toEqual([
      ["before", undefined, undefined],
      ["inside", "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"],
      ["outside", undefined, undefined],
    ]);
  });
});

describe("serializeError", () => {
  const sql = 'insert into "webhook_endpoints" ("id", "secrets") values (?, ?)';
  const params = ["whk_1", '[{"secret":"whsec_s3cret"}]', "https://h.example/PATHSECRET?token=Q"];
  const dbCause = () =>
    Object.assign(new Error("SQLITE_CONSTRAINT: simulated I/O error"), {
      name: "LibsqlError",
      code: "SQLITE_CONSTRAINT",
    });

  it("keeps a failed query's SQL and its cause but drops the parameters from message and stack", () => {
    const error = new DrizzleQueryError(sql, params, dbCause());
    const out = serializeError(error) as {
      message: string;
      stack: string;
      cause: { code: string; message: string };
    };
    expect(out.message).toBe(`Failed query: ${sql}`);
    expect(out.stack.startsWith(`Error: Failed query: ${sql}\n    at `)).toBe(true);
    expect(out.cause).toMatchObject({
      code: "SQLITE_CONSTRAINT",
      message: "SQLITE_CONSTRAINT: simulated I/O error",
    });
    const text = JSON.stringify(out);
    for (const secret of ["whsec_", "PATHSECRET", "token=Q", "whk_1", "params:"]) {
      expect(text).not.toContain(secret);
    }
  });

  it("drops parameters however deep in the cause chain, and parameters that contain newlines", () => {
    const query = new DrizzleQueryError(
      sql,
      ["a\nparams: b", "whsec_deep\n    at fake"],
      dbCause(),
    );
    const error = new Error("webhook store failed", { cause: new Error("tx", { cause: query }) });
    const out = serializeError(error) as {
      message: string;
      cause: { cause: { message: string; stack: string; cause: { code: string } } };
    };
    expect(out.message).toBe("webhook store failed");
    expect(out.cause.cause.message).toBe(`Failed query: ${sql}`);
    expect(out.cause.cause.cause.code).toBe("SQLITE_CONSTRAINT");
    const text = JSON.stringify(out);
    expect(text).not.toContain("whsec_deep");
    expect(text).not.toContain("params:");
  });

  it("drops parameters from a failed query's message written by another library version", () => {
    const error = new Error(`Failed query: ${sql}\nparams: whsec_x,tok`);
    error.stack = `Error: Failed query: ${sql}\nparams: whsec_x,tok\n    at run (db.ts:1:1)`;
    const out = serializeError(error);
    expect(out.message).toBe(`Failed query: ${sql}`);
    expect(out.stack).toBe(`Error: Failed query: ${sql}\n    at run (db.ts:1:1)`);
  });

  it("logs an error field without the parameters", () => {
    const { logger, lines } = capture();
    logger.error("unhandled error", { err: new DrizzleQueryError(sql, params, dbCause()) });
    const text = JSON.stringify(lines[0]?.record);
    expect(text).toContain(sql.replaceAll('"', '\\"'));
    expect(text).not.toContain("whsec_");
  });
});
