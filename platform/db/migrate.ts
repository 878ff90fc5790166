/**
 * Node-only: applies the drizzle-kit migrations in `core/db/migrations` (idempotent; each migration
 * runs once, recorded in `__drizzle_migrations`). Migrations never run inside a Worker.
 */
import { fileURLToPath } from "node:url";
import { migrate } from "drizzle-orm/libsql/migrator";
import type { Database } from "../../core/db/database.ts";

export const migrationsFolder = fileURLToPath(new URL("../../core/db/migrations", import.meta.url));

export async function applyMigrations(db: Database): Promise<void> {
  await migrate(db, { migrationsFolder });
}
