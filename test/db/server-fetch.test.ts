/** The Node API's and stream worker's libSQL server client (platform/db/server-fetch.ts) on a real sqld. */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { startSqld } from "../../dev/sqld.ts";
import { openDatabase } from "../../platform/db/open.ts";

describe("openDatabase on a libSQL server (Node)", () => {
  it("carries a libSQL client's statements to a real sqld (openDatabase on Node)", async () => {
    const sqld = await startSqld();
    const { db, close } = await openDatabase({ url: sqld.url, requestTimeoutMs: 5000 });
    try {
      await db.run(sql`create table t (id integer primary key, name text)`);
      await db.batch([
        db.run(sql`insert into t (name) values (${"Ηράκλειο"})`),
        db.run(sql`insert into t (name) values (${"x".repeat(100_000)})`),
      ]);
      const rows = await db.all<{ id: number; name: string }>(
        sql`select id, name from t order by id`,
      );
      expect(rows.map((r) => [r.id, r.name.length])).toEqual([
        [1, 8],
        [2, 100_000],
      ]);
      expect(rows[0]?.name).toBe("Ηράκλειο");
      // A statement the server refuses keeps its own error.
      const refused = await db.run(sql`select * from missing_table`).catch((e: Error) => e);
      expect(String((refused as Error & { cause?: Error }).cause?.message)).toMatch(
        /no such table/,
      );
    } finally {
      close();
      await sqld.dispose();
    }
  });
});
