/**
 * The unit-test harness over an embedded libSQL file (the group-committing client the Node server
 * uses) instead of an in-memory database: for tests of concurrent writes. Files live in one temporary
 * directory per test file, closed and removed after its tests.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { createHarness, type Harness } from "./harness.ts";

/** A function making harnesses on new files; call it at a test file's top level. */
export function fileHarnesses(name: string) {
  const dir = mkdtempSync(join(tmpdir(), `gridpulse-${name}-`));
  const closers: (() => void)[] = [];
  afterAll(() => {
    for (const close of closers) close();
    rmSync(dir, { recursive: true, force: true });
  });
  let files = 0;
  return async (settings: Record<string, string> = {}): Promise<Harness> => {
    const { db, close } = await openDatabase({ url: `file:${join(dir, `${name}-${files++}.db`)}` });
    closers.push(close);
    await applyMigrations(db);
    return createHarness({ database: db, settings });
  };
}
