import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { pingDatabase } from "../../core/db/database.ts";
import { tenants } from "../../core/db/schema/index.ts";
import { applyMigrations } from "./migrate.ts";
import { filePath, openDatabase } from "./open.ts";

const dir = mkdtempSync(join(tmpdir(), "gridpulse-db-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("filePath", () => {
  it("understands relative and absolute file URLs", () => {
    expect(filePath("file:./data/gridpulse.db")).toBe("./data/gridpulse.db");
    expect(filePath("file:///tmp/x.db")).toBe("/tmp/x.db");
    expect(filePath("file:data/x.db?mode=ro")).toBe("data/x.db");
  });
});

describe("embedded database", () => {
  it("creates the folder, migrates idempotently and round-trips a row", async () => {
    const url = `file:${join(dir, "nested", "gridpulse.db")}`;
    const { db, close } = await openDatabase({ url });
    try {
      await applyMigrations(db);
      await applyMigrations(db);
      await pingDatabase(db);
      await db.insert(tenants).values({ id: "t1", name: "Acme Energy" });
      const rows = await db.select().from(tenants).where(eq(tenants.id, "t1"));
      expect(rows).toHaveLength(1);
      expect(rows[0]?.name).toBe("Acme Energy");
      expect(rows[0]?.createdAtMs).toBeGreaterThan(Date.UTC(2024, 0, 1));
    } finally {
      close();
    }
  });
});
