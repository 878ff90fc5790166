/**
 * Something built once per database handle (typically a prepared drizzle query: building one costs
 * several times what running it does) and dropped with the handle.
 */
import type { Database } from "./database.ts";

export function perDatabase<T>(build: (db: Database) => T): (db: Database) => T {
  const built = new WeakMap<Database, T>();
  return (db) => {
    let value = built.get(db);
    if (value === undefined) {
      value = build(db);
      built.set(db, value);
    }
    return value;
  };
}
