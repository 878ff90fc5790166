/**
 * Idempotency-Key while the first request is still running: the middleware in front of a handler
 * that holds the first request until the test releases it, over a migrated in-memory libSQL.
 */
import { createClient } from "@libsql/client";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { createDatabase } from "../../core/db/database.ts";
import { applyMigrations } from "../../platform/db/migrate.ts";
import type { AppDeps, AppEnv } from "../context.ts";
import { onError } from "../errors/handler.ts";
import { apiSettingsSchema } from "../settings.ts";
import { IDEMPOTENCY_HEADER, idempotency } from "./idempotency.ts";

/** An app whose first POST /things waits in the handler until `release` says how it ends. */
async function heldApp() {
  const db = createDatabase(createClient({ url: ":memory:" }));
  await applyMigrations(db);
  const deps = { settings: apiSettingsSchema.parse({}), now: () => Date.now() } as AppDeps;
  let runs = 0;
  let entered!: () => void;
  const inHandler = new Promise<void>((resolve) => {
    entered = resolve;
  });
  let release!: (outcome: "ok" | "fail") => void;
  const gate = new Promise<"ok" | "fail">((resolve) => {
    release = resolve;
  });
  const app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    c.set("deps", deps);
    c.set("db", db);
    c.set("auth", { tenantId: "ten_held", keyId: "key_held", scopes: ["write"] } as never);
    await next();
  });
  app.use("*", idempotency());
  app.post("/things", async (c) => {
    runs++;
    entered();
    // Only the first run is held; later runs answer at once.
    if (runs === 1 && (await gate) === "fail") throw new Error("the handler failed");
    c.header("Location", `/things/thing_${runs}`);
    return c.json({ id: `thing_${runs}` }, 201);
  });
  app.onError(onError);
  const post = (key: string, body: unknown) =>
    app.request("/things", {
      method: "POST",
      headers: { [IDEMPOTENCY_HEADER]: key, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  return { post, inHandler, release, runs: () => runs };
}

describe("Idempotency-Key while the first request runs", () => {
  it("answers 409 + Retry-After to the same request, 422 to another body; then replays the first answer", async () => {
    const app = await heldApp();
    const first = app.post("k-held", { n: 1 });
    await app.inHandler;

    const again = await app.post("k-held", { n: 1 });
    expect(again.status).toBe(409);
    expect(again.headers.get("retry-after")).toBe("1");
    expect(await again.json()).toMatchObject({
      error: { code: "conflict", details: { idempotencyKey: "k-held" } },
    });
    expect((await app.post("k-held", { n: 2 })).status).toBe(422);
    expect(app.runs()).toBe(1);

    app.release("ok");
    const answer = await first;
    expect(answer.status).toBe(201);
    const body = await answer.text();
    const replay = await app.post("k-held", { n: 1 });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.headers.get("location")).toBe("/things/thing_1");
    expect(await replay.text()).toBe(body);
    expect(app.runs()).toBe(1);
  });

  it("frees the key when the held request ends in a 5xx: a retry runs the handler again", async () => {
    const app = await heldApp();
    const first = app.post("k-fails", { n: 1 });
    await app.inHandler;
    expect((await app.post("k-fails", { n: 1 })).status).toBe(409);
    app.release("fail");
    expect((await first).status).toBe(500);
    const retry = await app.post("k-fails", { n: 1 });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(app.runs()).toBe(2);
  });
});
