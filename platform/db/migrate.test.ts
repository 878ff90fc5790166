import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";
import { afterEach, describe, expect, it } from "vitest";
import { libsqlClient } from "../../core/db/database.ts";
import { applyMigrations } from "./migrate.ts";
import { openDatabase } from "./open.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("applyMigrations", () => {
  it("leaves an up-to-date database alone, without the write lock another process holds", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gridpulse-migrate-"));
    dirs.push(dir);
    const url = `file:${join(dir, "m.db")}`;
    const first = await openDatabase({ url });
    await applyMigrations(first.db);
    const applied = await libsqlClient(first.db).execute(
      "select count(*) as n from __drizzle_migrations",
    );
    first.close();

    // Another process writes and holds the lock; a service starting now must not need it.
    const other = new Database(join(dir, "m.db")) as unknown as {
      exec(sql: string): void;
      close(): void;
    };
    other.exec("begin immediate");
    other.exec("create table held (x integer)");
    const second = await openDatabase({ url, busyTimeoutMs: 300 });
    try {
      const started = performance.now();
      await applyMigrations(second.db);
      expect(performance.now() - started).toBeLessThan(250);
      const again = await libsqlClient(second.db).execute(
        "select count(*) as n from __drizzle_migrations",
      );
      expect(again.rows[0]?.n).toBe(applied.rows[0]?.n);
    } finally {
      other.exec("rollback");
      other.close();
      second.close();
    }
  });
});
