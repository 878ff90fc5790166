/**
 * The typed database handle shared by the API and the stream worker. Runtime-neutral: the libSQL
 * client is built by the entry point (`@libsql/client` on Node, `@libsql/client/web` on Workers) and
 * passed in, so nothing here opens a connection at import time.
 */
import type { Client } from "@libsql/client";
import { sql } from "drizzle-orm";
import type { LibSQLDatabase } from "drizzle-orm/libsql/driver-core";
import { drizzle } from "drizzle-orm/libsql/web";
import { withBusyRetry } from "./busy-retry.ts";
import * as schema from "./schema/index.ts";

/**
 * A handle without drizzle's relational query API (`db.query.*`, unused here): given the schema, drizzle
 * derives the tables' relations config on every handle it builds, ~50 µs, which Workers would pay on
 * every request that builds one.
 */
export type Database = LibSQLDatabase;

/**
 * The handle over `client`; statements refused with SQLITE_BUSY are retried (core/db/busy-retry.ts)
 * unless the client waits for locks itself (`retryBusy: false`, the embedded client).
 */
export function createDatabase(client: Client, options: { retryBusy?: boolean } = {}): Database {
  return drizzle(options.retryBusy === false ? client : withBusyRetry(client));
}

/** The libSQL client under a database handle, for the few hot paths that batch raw statements. */
export function libsqlClient(db: Database): Client {
  return (db as unknown as { $client: Client }).$client;
}

/** A round trip to the database (`select 1`), for readiness checks. */
export async function pingDatabase(db: Database): Promise<void> {
  await db.run(sql`select 1`);
}

export { schema };
