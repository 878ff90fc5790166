/**
 * Node-only: opens the database named by `DATABASE_URL` — an embedded libSQL file (created with its
 * folder on first use, in WAL mode so the API and the stream worker can share it) or a libSQL server.
 */
import { mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@libsql/client";
import { createDatabase, type Database } from "./database.ts";

export interface DatabaseSettings {
  url: string;
  authToken?: string | undefined;
}

export interface OpenDatabase {
  db: Database;
  close(): void;
}

export async function openDatabase(settings: DatabaseSettings): Promise<OpenDatabase> {
  const isFile = settings.url.startsWith("file:");
  if (isFile) mkdirSync(dirname(filePath(settings.url)), { recursive: true });
  const client = createClient(
    settings.authToken
      ? { url: settings.url, authToken: settings.authToken }
      : isFile
        ? // The file client keeps a pool of connections and opens another whenever two calls overlap;
          // the pragmas below are per connection, so one connection keeps them for every call (each
          // call runs synchronously on it anyway). No interactive transactions are used: batches.
          { url: settings.url, concurrency: 1, timeout: 5000 }
        : { url: settings.url },
  );
  if (isFile) {
    // Several processes (API, stream worker, tools) may write the same file: wait for locks
    // instead of failing, and let readers proceed while a writer commits.
    await client.execute("pragma busy_timeout = 5000");
    await client.execute("pragma journal_mode = wal");
    // In WAL mode, NORMAL syncs at checkpoints instead of at every commit: commits stay atomic and
    // survive a crashed process (a kill -9 loses nothing committed); only a power loss can roll back the
    // last few — together with the offsets stored in them, so exactly-once accounting still holds.
    await client.execute("pragma synchronous = normal");
  }
  return { db: createDatabase(client), close: () => client.close() };
}

/** The path of a `file:` URL (`file:./data/x.db`, `file:///abs/x.db`). */
/** Bytes on disk of an embedded database (file plus WAL), or undefined for a libSQL server URL. */
export function databaseFileBytes(url: string): number | undefined {
  if (!url.startsWith("file:")) return undefined;
  const file = filePath(url);
  return [file, `${file}-wal`].reduce(
    (sum, f) => sum + (statSync(f, { throwIfNoEntry: false })?.size ?? 0),
    0,
  );
}

export function filePath(url: string): string {
  if (url.startsWith("file://")) return fileURLToPath(url.split("?")[0] as string);
  return (url.slice("file:".length).split("?")[0] as string) || ".";
}
