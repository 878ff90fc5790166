import { DrizzleQueryError } from "drizzle-orm";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { libsqlClient } from "../../core/db/database.ts";
import { DatabaseUnavailableError } from "../../core/db/remote-database.ts";
import { createLogger } from "../../core/observability/logger.ts";
import type { AppEnv } from "../context.ts";
import { createHarness } from "../testing/harness.ts";
import { onError } from "./handler.ts";

describe("error mapping", () => {
  it("answers a database that stayed locked with 503 and Retry-After, other errors with 500", async () => {
    const app = new Hono<AppEnv>();
    app.onError(onError);
    app.get("/busy", () => {
      throw new Error("write failed", {
        cause: { code: "SQLITE_BUSY", message: "database is locked" },
      });
    });
    app.get("/bug", () => {
      throw new Error("secret internals");
    });
    const busy = await app.request("/busy");
    expect(busy.status).toBe(503);
    expect(busy.headers.get("retry-after")).toBe("1");
    expect(await busy.json()).toEqual({
      error: { code: "unavailable", message: "the database is busy; retry the request shortly" },
    });
    const bug = await app.request("/bug");
    expect(bug.status).toBe(500);
    expect(JSON.stringify(await bug.json())).not.toContain("secret");
  });
});

describe("logged failures", () => {
  it("a failed insert is logged with its SQL and cause but without the secrets it wrote", async () => {
    const h = await createHarness({
      settings: { NOTIFY_OUTBOUND_ALLOWLIST: "127.0.0.1", NOTIFY_PUSH_HOSTS: "push.example.com" },
    });
    const { key } = await h.tenant();
    const client = libsqlClient(h.db);
    for (const table of ["webhook_endpoints", "push_subscriptions"]) {
      await client.execute(
        `CREATE TRIGGER fail_${table} BEFORE INSERT ON ${table} BEGIN SELECT RAISE(ABORT, 'simulated I/O error'); END`,
      );
    }
    const auth = "QM-KPtN01_C6fSYJz4PZGA";
    const webhook = await h.call("/v1/webhooks", key, {
      method: "POST",
      json: { url: "http://127.0.0.1:9/hooks/PATHSECRET?token=QUERYSECRET" },
    });
    const push = await h.call("/v1/push/subscriptions", key, {
      method: "POST",
      json: {
        endpoint: "https://push.example.com/CAPABILITYPATH",
        keys: {
          p256dh:
            "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
          auth,
        },
      },
    });
    expect([webhook.status, push.status]).toEqual([500, 500]);
    const errors = h.logs.filter((l) => l.level === "error");
    expect(errors.map((l) => [l.record.msg, l.record.path])).toEqual([
      ["unhandled error", "/v1/webhooks"],
      ["unhandled error", "/v1/push/subscriptions"],
    ]);
    for (const line of errors) {
      const err = line.record.err as { message: string; cause: { message: string } };
      expect(err.message).toMatch(
        /^Failed query: insert into "(webhook_endpoints|push_subscriptions)"/,
      );
      expect(err.cause.message).toContain("simulated I/O error");
      const text = JSON.stringify(line.record);
      for (const secret of [
        "whsec_",
        "PATHSECRET",
        "QUERYSECRET",
        "CAPABILITYPATH",
        auth,
        "params:",
      ]) {
        expect(text).not.toContain(secret);
      }
    }
  });

  it("an unreachable database is logged without the query's parameters", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      service: "t",
      writer: (_level, line) => lines.push(JSON.parse(line)),
    });
    const app = new Hono<AppEnv>();
    app.onError(onError);
    app.use(async (c, next) => {
      c.set("logger", logger);
      await next();
    });
    app.get("/down", () => {
      throw new DrizzleQueryError(
        'select "tenant_id" from "api_keys" where "key_hash" = ?',
        ["3510305d96ce8c411d0ad4424e44218f"],
        new DatabaseUnavailableError("the database did not answer within 2000 ms"),
      );
    });
    const down = await app.request("/down");
    expect(down.status).toBe(503);
    expect(lines.map((l) => l.msg)).toEqual(["database unavailable"]);
    expect(lines[0]?.reason).toBe(
      'Failed query: select "tenant_id" from "api_keys" where "key_hash" = ?',
    );
    expect(JSON.stringify(lines)).not.toContain("3510305d96ce8c411d0ad4424e44218f");
  });
});
