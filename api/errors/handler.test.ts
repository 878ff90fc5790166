import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../context.ts";
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
