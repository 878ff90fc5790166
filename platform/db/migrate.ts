/**
 * Node-only: applies the drizzle-kit migrations in `core/db/migrations` (idempotent; each migration
 * runs once, recorded in `__drizzle_migrations`). Migrations never run inside a Worker.
 */
import { fileURLToPath } from "node:url";
import { migrate } from "drizzle-orm/libsql/migrator";
import type { Database } from "../../core/db/database.ts";
import { type DatabaseSettings, openDatabase } from "./open.ts";

export const migrationsFolder = fileURLToPath(new URL("../../core/db/migrations", import.meta.url));

export async function applyMigrations(db: Database): Promise<void> {
  await migrate(db, { migrationsFolder });
}

/**
 * Migrations at a service's start. On a libSQL server they run through a handle of their own without
 * the service's request deadline: building an index over many rows may take longer than any request.
 */
export async function migrateOnStart(settings: DatabaseSettings, db: Database): Promise<void> {
  if (settings.url.startsWith("file:")) return applyMigrations(db);
  const own = await openDatabase({ ...settings, requestTimeoutMs: 0 });
  try {
    await applyMigrations(own.db);
  } finally {
    own.close();
  }
}
