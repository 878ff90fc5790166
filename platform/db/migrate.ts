/**
 * Node-only: applies the drizzle-kit migrations in `core/db/migrations` (idempotent; each migration
 * runs once, recorded in `__drizzle_migrations`). Migrations never run inside a Worker.
 */
import { fileURLToPath } from "node:url";
import { migrate } from "drizzle-orm/libsql/migrator";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { type Database, libsqlClient } from "../../core/db/database.ts";
import { type DatabaseSettings, openDatabase } from "./open.ts";

export const migrationsFolder = fileURLToPath(new URL("../../core/db/migrations", import.meta.url));

export async function applyMigrations(db: Database): Promise<void> {
  if (await upToDate(db)) return;
  await migrate(db, { migrationsFolder });
}

/**
 * Whether every migration is applied already, by one read: drizzle's migrator otherwise writes even
 * when nothing is pending (its table's `create table if not exists`, then an empty transaction), and
 * a process starting beside others that write all the time can lose the race for the write lock
 * until its busy deadline, then fail to start. The test is drizzle's own: pending are the migrations
 * newer than the last one recorded.
 */
async function upToDate(db: Database): Promise<boolean> {
  const newest = Math.max(...readMigrationFiles({ migrationsFolder }).map((m) => m.folderMillis));
  let last: number;
  try {
    const { rows } = await libsqlClient(db).execute(
      "select created_at from __drizzle_migrations order by created_at desc limit 1",
    );
    last = Number(rows[0]?.created_at ?? Number.NaN);
  } catch {
    return false; // no migrations table yet
  }
  return last >= newest;
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
