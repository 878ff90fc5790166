/**
 * Node-only: opens the database named by `DATABASE_URL` — an embedded libSQL file (created with its
 * folder on first use, in WAL mode so the API and the stream worker can share it) or a libSQL server.
 */
import { mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@libsql/client";
import { createDatabase, type Database } from "../../core/db/database.ts";
import {
  attachRemoteDatabase,
  DEFAULT_REFUSAL_DEADLINE_MS,
  defaultReadCacheTtlMs,
  type RefusalRetry,
  RemoteDatabase,
  type RemoteWriteCounts,
  retryRefused,
} from "../../core/db/remote-database.ts";
import { keptStreams } from "../../core/db/server-streams.ts";
import {
  BACKSTOP_PAGES,
  type BackgroundCheckpoints,
  backgroundCheckpoints,
  type CheckpointOptions,
  SQLITE_DEFAULT_PAGES,
} from "./checkpoints.ts";
import { EmbeddedClient, type EmbeddedClientOptions } from "./embedded-client.ts";
import { nodeServerExchange } from "./server-fetch.ts";

export interface DatabaseSettings {
  url: string;
  authToken?: string | undefined;
  /**
   * Embedded file only: how long a write may wait for another process's write lock before failing
   * with SQLITE_BUSY (the API answers 503 + Retry-After). The wait never blocks the event loop.
   */
  busyTimeoutMs?: number | undefined;
  /** libSQL server only: TTL of the process's read caches (latest market prices). */
  readCacheTtlMs?: number | undefined;
  /**
   * libSQL server only: the deadline of each request to the server (0, the default for tools: none).
   * A request past it, or a write queued that long behind one, fails with `DatabaseUnavailableError`.
   */
  requestTimeoutMs?: number | undefined;
  /** libSQL server only: idle streams kept for the next requests (core/db/server-streams.ts). */
  keptStreams?: number | undefined;
  /**
   * libSQL server only: read requests kept in flight; reads that arrive meanwhile go together in the
   * next (core/db/remote-database.ts). Default 1; 0: each read at once.
   */
  readPipelines?: number | undefined;
  /**
   * Embedded file only: checkpoint the WAL on a thread of its own this often (ms), instead of in the
   * commit that fills it (platform/db/checkpoints.ts). 0 or unset (tools, tests): SQLite's own.
   */
  checkpointIntervalMs?: number | undefined;
  /** The checkpoint thread failed; the writer has gone back to checkpointing in its commits. */
  onCheckpointFailure?: ((message: string) => void) | undefined;
  /** A checkpoint failed and the thread tries it again. */
  onCheckpointRetry?: CheckpointOptions["onRetry"];
  /** Each checkpoint the thread ran. */
  onCheckpoint?: CheckpointOptions["onCheckpoint"];
  /** Embedded file only: each group commit (platform/db/embedded-client.ts). */
  onGroupCommit?: EmbeddedClientOptions["onGroupCommit"];
  /** libSQL server only: each request the server refused (429), sent again or failed. */
  onServerRefused?: RefusalRetry["onRefused"];
  /** libSQL server only: given the client's queue counts once it is open (for export). */
  onServerCounts?: ((counts: RemoteWriteCounts) => void) | undefined;
}

export interface OpenDatabase {
  db: Database;
  /** The embedded client (file URLs), for write-lock probes; undefined for a libSQL server. */
  embedded?: EmbeddedClient | undefined;
  close(): void;
}

export async function openDatabase(settings: DatabaseSettings): Promise<OpenDatabase> {
  if (settings.url.startsWith("file:")) {
    const path = filePath(settings.url);
    mkdirSync(dirname(path), { recursive: true });
    const checkpointInBackground = (settings.checkpointIntervalMs ?? 0) > 0 && path !== ":memory:";
    const client = new EmbeddedClient(path, {
      busyTimeoutMs: settings.busyTimeoutMs ?? 5000,
      onGroupCommit: settings.onGroupCommit,
      pragmas: [
        // Several processes (API, stream worker, tools) may write the same file: readers proceed
        // while a writer commits (WAL); lock waits are the client's, never SQLite's blocking handler.
        "pragma journal_mode = wal",
        // In WAL mode, NORMAL syncs at checkpoints instead of at every commit: commits stay atomic
        // and survive a crashed process (a kill -9 loses nothing committed); only a power loss can
        // roll back the last few — together with the offsets stored in them, so exactly-once
        // accounting still holds.
        "pragma synchronous = normal",
        ...(checkpointInBackground ? [`pragma wal_autocheckpoint = ${BACKSTOP_PAGES}`] : []),
      ],
    });
    let checkpoints: BackgroundCheckpoints | undefined;
    if (checkpointInBackground)
      checkpoints = backgroundCheckpoints(path, {
        intervalMs: settings.checkpointIntervalMs as number,
        onCheckpoint: settings.onCheckpoint,
        onRetry: settings.onCheckpointRetry,
        onFailure: (message) => {
          // The writer checkpoints in its commits again. If this cannot be set (the client closed
          // meanwhile), the backstop's 10,000 pages still bound the WAL.
          if (!client.closed)
            client.execute(`pragma wal_autocheckpoint = ${SQLITE_DEFAULT_PAGES}`).catch(() => {});
          settings.onCheckpointFailure?.(message);
        },
      });
    return {
      db: createDatabase(client, { retryBusy: false }),
      embedded: client,
      close: () => {
        checkpoints?.stop();
        client.close();
      },
    };
  }
  const timeoutMs = settings.requestTimeoutMs ?? 0;
  const exchange = retryRefused(nodeServerExchange(timeoutMs), {
    deadlineMs: timeoutMs > 0 ? timeoutMs : DEFAULT_REFUSAL_DEADLINE_MS,
    onRefused: settings.onServerRefused,
  });
  const fetch = keptStreams(exchange, { maxIdle: settings.keptStreams });
  const client = createClient(
    settings.authToken
      ? { url: settings.url, authToken: settings.authToken, fetch }
      : { url: settings.url, fetch },
  );
  // One write group in flight per process: sqld refuses or stalls write transactions that queue up
  // inside it (core/db/remote-database.ts).
  const remote = new RemoteDatabase({
    readCacheTtlMs: settings.readCacheTtlMs ?? defaultReadCacheTtlMs,
    queueTimeoutMs: timeoutMs,
    maxReadPipelines: settings.readPipelines,
  });
  attachRemoteDatabase(client, remote);
  settings.onServerCounts?.(remote.counts);
  return { db: createDatabase(client), close: () => client.close() };
}

/** Bytes on disk of an embedded database (file plus WAL), or undefined for a libSQL server URL. */
export function databaseFileBytes(url: string): number | undefined {
  if (!url.startsWith("file:")) return undefined;
  const file = filePath(url);
  return [file, `${file}-wal`].reduce(
    (sum, f) => sum + (statSync(f, { throwIfNoEntry: false })?.size ?? 0),
    0,
  );
}

/** The path of a `file:` URL (`file:./data/x.db`, `file:///abs/x.db`). */
export function filePath(url: string): string {
  if (url.startsWith("file://")) return fileURLToPath(url.split("?")[0] as string);
  return (url.slice("file:".length).split("?")[0] as string) || ".";
}
