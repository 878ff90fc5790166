/**
 * Reads grouped on a real sqld (core/db/remote-database.ts), through the database handle the API and
 * the stream worker open: concurrent reads share pipeline requests, each caller still gets exactly its
 * own rows (values, types, blobs), a read that fails fails alone, and a read issued after a write
 * commits sees it.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { libsqlClient } from "../../core/db/database.ts";
import { remoteDatabaseOf } from "../../core/db/remote-database.ts";
import { type SqldServer, startSqld } from "../../dev/sqld.ts";
import { openDatabase } from "../../platform/db/open.ts";

let sqld: SqldServer;
let opened: Awaited<ReturnType<typeof openDatabase>>;
beforeAll(async () => {
  sqld = await startSqld();
  opened = await openDatabase({ url: sqld.url, requestTimeoutMs: 5000 });
  const client = libsqlClient(opened.db);
  await client.execute("create table homes (id text primary key, n integer, name text, data blob)");
  await client.batch(
    Array.from({ length: 200 }, (_, i) => ({
      sql: "insert into homes values (?, ?, ?, ?)",
      args: [`h${i}`, i, `Σπίτι ${i}`, new Uint8Array([i % 256, 7, 255])],
    })),
    "write",
  );
});
afterAll(async () => {
  opened?.close();
  await sqld?.dispose();
});

describe("grouped reads on sqld", () => {
  it("answers each of 200 concurrent reads with its own row, in far fewer requests", async () => {
    const client = libsqlClient(opened.db);
    const counts = remoteDatabaseOf(client)?.remote.counts;
    if (!counts) throw new Error("no remote database attached");
    const before = { ...counts };
    const rows = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        client.execute({
          sql: "select id, n, name, data from homes where id = ?",
          args: [`h${i}`],
        }),
      ),
    );
    rows.forEach((result, i) => {
      expect(result.columns).toEqual(["id", "n", "name", "data"]);
      expect(result.rows).toHaveLength(1);
      const row = result.rows[0] as unknown as Record<string, unknown>;
      expect(row.id).toBe(`h${i}`);
      expect(row.n).toBe(i);
      expect(row.name).toBe(`Σπίτι ${i}`);
      expect(new Uint8Array(row.data as ArrayBuffer)).toEqual(new Uint8Array([i % 256, 7, 255]));
    });
    const reads = counts.reads - before.reads;
    const groups = counts.readGroups - before.readGroups;
    console.log(`200 concurrent reads in ${groups} pipeline requests`);
    expect(reads).toBe(200);
    expect(groups).toBeLessThan(20);
  });

  it("through drizzle too; a bad read among them fails alone", async () => {
    const { db } = opened;
    const good = Array.from({ length: 30 }, (_, i) =>
      db.all<{ n: number }>(sql`select n from homes where id = ${`h${i}`}`),
    );
    const bad = db.all(sql`select no_such_column from homes`);
    const more = Array.from({ length: 30 }, (_, i) =>
      db.all<{ n: number }>(sql`select n from homes where id = ${`h${i + 30}`}`),
    );
    await expect(bad).rejects.toThrow(/no_such_column/);
    const answered = await Promise.all([...good, ...more]);
    expect(answered.map((r) => r[0]?.n)).toEqual(Array.from({ length: 60 }, (_, i) => i));
  });

  it("a read issued after a write commits sees it, while other reads are in flight", async () => {
    const client = libsqlClient(opened.db);
    const background = Array.from({ length: 50 }, (_, i) =>
      client.execute({ sql: "select n from homes where id = ?", args: [`h${i}`] }),
    );
    const ids = Array.from({ length: 20 }, (_, i) => `new${i}`);
    const seen = await Promise.all(
      ids.map(async (id, i) => {
        await client.execute({
          sql: "insert into homes values (?, ?, 'x', null)",
          args: [id, 1000 + i],
        });
        const r = await client.execute({ sql: "select n from homes where id = ?", args: [id] });
        return r.rows[0]?.n;
      }),
    );
    expect(seen).toEqual(ids.map((_, i) => 1000 + i));
    expect((await Promise.all(background)).map((r) => r.rows[0]?.n)).toEqual(
      Array.from({ length: 50 }, (_, i) => i),
    );
  });
});
