import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { InStatement } from "@libsql/client";
import Database from "libsql";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { combinable } from "../../core/db/remote-database.ts";
import { EmbeddedClient } from "./embedded-client.ts";

let dir: string;
let path: string;
const clients: EmbeddedClient[] = [];
const open = (options: ConstructorParameters<typeof EmbeddedClient>[1] = {}) => {
  const client = new EmbeddedClient(path, {
    pragmas: ["pragma journal_mode = wal", "pragma synchronous = normal"],
    ...options,
  });
  clients.push(client);
  return client;
};

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "gridpulse-embedded-"));
  path = join(dir, "t.db");
  await open().executeMultiple(
    "create table t (id integer primary key, v text not null unique); create table n (k text primary key, c integer not null)",
  );
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Another process's view of the file: a plain connection that can hold the write lock. */
const holdWriteLock = () => {
  const other = new Database(path) as unknown as { exec(sql: string): void; close(): void };
  other.exec("begin immediate");
  other.exec("insert into t (v) values ('held')");
  return {
    release: () => {
      other.exec("commit");
      other.close();
    },
  };
};

describe("embedded client", () => {
  it("returns rows as @libsql/client does: names enumerable, positions and length not", async () => {
    const c = open();
    await c.execute({ sql: "insert into t (v) values (?)", args: ["a"] });
    const rs = await c.execute("select id, v from t");
    expect(rs.columns).toEqual(["id", "v"]);
    const row = rs.rows[0] as unknown as Record<string, unknown> & ArrayLike<unknown>;
    expect(row.v).toBe("a");
    expect(row[1]).toBe("a");
    expect(row.length).toBe(2);
    expect(Object.keys(row)).toEqual(["id", "v"]);
    expect(Array.prototype.slice.call(row)).toEqual([1, "a"]);
    expect(JSON.parse(JSON.stringify(row))).toEqual({ id: 1, v: "a" });
    // duplicate column names: the first keeps the name, every position its own value
    const dup = (await c.execute("select 1 as x, 2 as x"))
      .rows[0] as unknown as ArrayLike<unknown> & Record<string, unknown>;
    expect([dup[0], dup[1], dup.x]).toEqual([1, 2, 1]);
  });

  it("commits concurrent write batches together, a failing batch alone rolled back", async () => {
    const groups: { batches: number; failed: number; ms: number }[] = [];
    const c = open({ onGroupCommit: (g) => g.batches > 0 && groups.push(g) });
    await c.execute({ sql: "insert into t (v) values (?)", args: ["taken"] });
    groups.length = 0;
    const writes = Array.from({ length: 20 }, (_, i) =>
      c.batch(
        [
          {
            sql: "insert into n (k, c) values ('count', 1) on conflict (k) do update set c = c + 1",
            args: [],
          },
          // batch 7 repeats a unique value: its first statement must not survive either
          { sql: "insert into t (v) values (?)", args: [i === 7 ? "taken" : `v${i}`] },
        ],
        "write",
      ),
    );
    const settled = await Promise.allSettled(writes);
    expect(settled.filter((s) => s.status === "rejected")).toHaveLength(1);
    expect((settled[7] as PromiseRejectedResult).reason).toMatchObject({
      code: "SQLITE_CONSTRAINT",
      statementIndex: 1,
    });
    const count = await c.execute("select c from n where k = 'count'");
    expect(count.rows[0]?.c).toBe(19);
    expect((await c.execute("select count(*) as n from t")).rows[0]?.n).toBe(20);
    expect(groups).toEqual([{ batches: 20, failed: 1, busyRetries: 0, ms: expect.any(Number) }]);
    expect(groups[0]?.ms).toBeGreaterThan(0);
  });

  it("runs the combinable increments of a group's batches once, combined, leaving out a failed batch's", async () => {
    const c = open();
    await c.execute({ sql: "insert into t (v) values (?)", args: ["taken"] });
    const combined: number[][] = [];
    const increment = (by: number, broken = false): InStatement =>
      combinable(
        {
          sql: "insert into n (k, c) values ('count', ?) on conflict (k) do update set c = c + excluded.c",
          args: [by],
        },
        {
          key: "n:count",
          part: by,
          combine: (parts: number[]) => {
            combined.push(parts);
            // A combined statement that fails: the group runs again uncombined.
            return broken
              ? { sql: "insert into no_such_table values (1)", args: [] }
              : increment(parts.reduce((a, b) => a + b, 0));
          },
        },
      );
    const round = (broken: boolean, offset: number) =>
      Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          c.batch(
            [
              increment(i + 1, broken),
              // batch 3 repeats a unique value: its increment must not count
              { sql: "insert into t (v) values (?)", args: [i === 3 ? "taken" : `v${offset + i}`] },
            ],
            "write",
          ),
        ),
      );
    const first = await round(false, 0);
    expect(first.map((s) => s.status)).toEqual(
      Array.from({ length: 10 }, (_, i) => (i === 3 ? "rejected" : "fulfilled")),
    );
    expect(combined).toEqual([[1, 2, 3, 5, 6, 7, 8, 9, 10]]);
    const count = async () => (await c.execute("select c from n where k = 'count'")).rows[0]?.c;
    expect(await count()).toBe(51);
    combined.length = 0;
    const second = await round(true, 100);
    expect(second.filter((s) => s.status === "rejected")).toHaveLength(1);
    expect(combined).toEqual([[1, 2, 3, 5, 6, 7, 8, 9, 10]]);
    expect(await count()).toBe(102);
    expect((await c.execute("select count(*) as n from t")).rows[0]?.n).toBe(19);
  });

  it("waits for another process's write lock without blocking the event loop, then fails with BUSY", async () => {
    const c = open({ busyTimeoutMs: 300 });
    const lock = holdWriteLock();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const started = performance.now();
    const write = c.execute({ sql: "insert into t (v) values ('x')", args: [] });
    // reads go on during the lock (WAL) and see the last committed state
    expect((await c.execute("select count(*) as n from t")).rows[0]?.n).toBe(0);
    await expect(write).rejects.toMatchObject({ code: "SQLITE_BUSY" });
    const waited = performance.now() - started;
    clearInterval(timer);
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(ticks).toBeGreaterThan(10); // the loop kept turning while the write waited
    lock.release();
    // nothing was left open: the next write commits at once and reads see it
    await c.execute({ sql: "insert into t (v) values ('after')", args: [] });
    expect((await c.execute("select v from t order by id")).rows.map((r) => r.v)).toEqual([
      "held",
      "after",
    ]);
  });

  it("commits a write queued during the lock right after its release", async () => {
    const c = open({ busyTimeoutMs: 5000, busyMaxDelayMs: 20 });
    const lock = holdWriteLock();
    const write = c.execute({ sql: "insert into t (v) values ('queued')", args: [] });
    await new Promise((r) => setTimeout(r, 200));
    const released = performance.now();
    lock.release();
    await write;
    expect(performance.now() - released).toBeLessThan(200);
    await expect(c.probeWrite(100)).resolves.toBeUndefined();
  });

  it("migrates nothing without the write lock: an up-to-date database starts beside a writer", async () => {
    const c = open({ busyTimeoutMs: 200 });
    const lock = holdWriteLock();
    try {
      const started = performance.now();
      await expect(c.migrate([])).resolves.toEqual([]);
      expect(performance.now() - started).toBeLessThan(100);
      // with something to migrate it still waits for the lock (and here gives up)
      await expect(
        c.migrate([{ sql: "create table m2 (x integer)", args: [] }]),
      ).rejects.toMatchObject({ code: "SQLITE_BUSY" });
    } finally {
      lock.release();
    }
  });

  it("probes writability: BUSY while another connection holds the lock", async () => {
    const c = open();
    await c.probeWrite(50);
    const lock = holdWriteLock();
    await expect(c.probeWrite(50)).rejects.toMatchObject({ code: "SQLITE_BUSY" });
    lock.release();
    await c.probeWrite(50);
  });

  it("keeps a bounded cache of prepared statements and stays correct past it", async () => {
    const c = open({ statementCacheSize: 4 });
    for (let i = 0; i < 30; i++)
      await c.execute({ sql: `insert into t (v) values (? || '${i % 9}')`, args: [String(i)] });
    const rows = await c.execute("select count(*) as n from t");
    expect(rows.rows[0]?.n).toBe(30);
  });

  it("runs read-only batches as one snapshot, refuses interactive transactions, migrates", async () => {
    const c = open();
    await c.batch(["insert into t (v) values ('a')", "insert into t (v) values ('b')"], "write");
    const [a, b] = await c.batch(
      ["select count(*) as n from t", "select max(v) as m from t"],
      "read",
    );
    expect(a?.rows[0]?.n).toBe(2);
    expect(b?.rows[0]?.m).toBe("b");
    // pragmas with effects run outside any transaction
    await c.execute("pragma wal_checkpoint(truncate)");
    await c.execute("pragma user_version = 7");
    expect((await c.execute("pragma user_version")).rows[0]?.user_version).toBe(7);
    await expect(c.transaction("write")).rejects.toMatchObject({
      code: "TRANSACTION_NOT_SUPPORTED",
    });
    await c.migrate([{ sql: "create table m (x integer)", args: [] }]);
    await c.execute("insert into m values (1)");
    expect((await c.execute("select x from m")).rows[0]?.x).toBe(1);
    // a failing migration leaves nothing behind
    await expect(
      c.migrate([
        { sql: "create table m2 (x integer)", args: [] },
        { sql: "insert into missing values (1)", args: [] },
      ]),
    ).rejects.toMatchObject({ statementIndex: 1 });
    await expect(c.execute("select * from m2")).rejects.toThrow(/no such table/);
  });
});
