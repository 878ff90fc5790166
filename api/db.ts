import type { Context } from "hono";
import type { Database } from "../core/db/database.ts";
import type { AppEnv } from "./context.ts";

/** The request's database handle, built once per request by the host's factory. */
export function database(c: Context<AppEnv>): Database {
  let db = c.get("db");
  if (!db) {
    db = c.var.deps.database(c);
    c.set("db", db);
  }
  return db;
}
