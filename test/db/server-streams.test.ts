/**
 * Kept streams (core/db/server-streams.ts) on a real sqld: what the client reads is what it would
 * read without them, transactions never leak from one request into the next, and a server that
 * forgot its streams (restarted) costs nothing but a resend.
 */
import { type Client, createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keptStreams } from "../../core/db/server-streams.ts";
import { type SqldServer, startSqld } from "../../dev/sqld.ts";
import { nodeServerExchange, nodeServerFetch } from "../../platform/db/server-fetch.ts";

let sqld: SqldServer;
beforeAll(async () => {
  sqld = await startSqld();
});
afterAll(async () => {
  await sqld.dispose();
});

/** A client over kept streams, recording each pipeline body it sends (and the URL). */
function keptClient(options: Parameters<typeof keptStreams>[1] = {}) {
  const sent: { url: string; body: string }[] = [];
  const inner = nodeServerExchange(5000);
  const fetch = keptStreams(async (call) => {
    sent.push({ url: call.url, body: call.body ?? "" });
    return inner(call);
  }, options);
  return { client: createClient({ url: sqld.url, fetch }), sent };
}
const plain = () => createClient({ url: sqld.url, fetch: nodeServerFetch(5000) });
const batonOf = (body: string) => (JSON.parse(body) as { baton?: string }).baton;

describe("kept streams on sqld", () => {
  it("answers what a client without them reads, on one stream", async () => {
    const { client, sent } = keptClient();
    const reference = plain();
    await reference.execute(
      "create table if not exists kept (id integer primary key, name text, data blob)",
    );
    const rows = [
      ["Ηράκλειο", new Uint8Array([0, 1, 2, 255])],
      ["x".repeat(50_000), null],
    ] as const;
    for (const [name, data] of rows)
      await client.execute({
        sql: "insert into kept (name, data) values (?, ?)",
        args: [name, data],
      });
    const read = (c: Client) => c.execute("select id, name, data from kept order by id");
    const mine = await read(client);
    const theirs = await read(reference);
    expect(mine.rows.map((r) => ({ ...r }))).toEqual(theirs.rows.map((r) => ({ ...r })));
    expect(mine.columns).toEqual(theirs.columns);
    expect(mine.rows[0]?.name).toBe("Ηράκλειο");
    // A refused statement keeps its own error, and the stream goes on.
    await expect(client.execute("select * from missing_table")).rejects.toThrow(/no such table/);
    expect((await client.execute("select count(*) as n from kept")).rows[0]?.n).toBe(2);
    // Every pipeline after the first ran on the kept stream, through version 3.
    expect(sent.every((s) => s.url.endsWith("/v3/pipeline"))).toBe(true);
    expect(sent.slice(1).every((s) => batonOf(s.body) !== undefined)).toBe(true);
    client.close();
    reference.close();
  });

  it("runs write batches, rolled back or committed, and batches that store SQL texts, on a kept stream", async () => {
    const { client, sent } = keptClient();
    await client.execute(
      "create table if not exists counts (k text primary key, n integer not null)",
    );
    // A failing statement rolls the whole batch back; the stream stays usable.
    await expect(
      client.batch(
        [
          { sql: "insert into counts values ('a', 1)", args: [] },
          { sql: "insert into counts values ('a', 2)", args: [] },
        ],
        "write",
      ),
    ).rejects.toThrow(/UNIQUE/);
    expect((await client.execute("select count(*) as n from counts")).rows[0]?.n).toBe(0);
    // The same statement repeated: the client stores its text on the stream (store_sql), twice in a
    // row on the same kept stream.
    const upsert = {
      sql: "insert into counts values (?, 1) on conflict (k) do update set n = n + 1",
      args: ["b"],
    };
    for (let i = 0; i < 2; i++) await client.batch([upsert, upsert, upsert], "write");
    expect(sent.some((s) => s.body.includes('"type":"store_sql"'))).toBe(true);
    expect((await plain().execute("select n from counts where k = 'b'")).rows[0]?.n).toBe(6);
    client.close();
  });

  it("never hands a stream inside a transaction to the next request, and closes it at once", async () => {
    const { client, sent } = keptClient();
    await client.execute("create table if not exists tx (id integer primary key)");
    // A BEGIN through execute leaves its stream in a transaction: that stream is not kept but closed
    // (rolled back) before the answer, as the client's own close would have; a write that leaves its
    // stream holding the write lock would otherwise block every writer until the server expires it.
    await client.execute("begin immediate");
    const started = performance.now();
    await plain().execute("insert into tx default values");
    // Left open, the lock would hold this write until sqld's transaction timeout (5 s).
    expect(performance.now() - started).toBeLessThan(2000);
    await client.execute("insert into tx default values");
    // The insert ran on a stream of its own, committed: another client sees it at once.
    expect((await plain().execute("select count(*) as n from tx")).rows[0]?.n).toBe(2);
    expect(batonOf(sent.at(-1)?.body ?? "{}")).toBeUndefined();
    client.close();
  });

  it("sends a pipeline once more when the server forgot the kept stream (restart)", async () => {
    const { client, sent } = keptClient();
    await client.execute("select 1");
    await sqld.stop();
    await sqld.start();
    expect((await client.execute("select 2 as two")).rows[0]?.two).toBe(2);
    const bodies = sent.map((s) => batonOf(s.body));
    expect(bodies).toHaveLength(3);
    expect(bodies[1]).toBeDefined();
    expect(bodies[2]).toBeUndefined();
    client.close();
  });

  it("keeps concurrent requests on separate streams", async () => {
    const { client } = keptClient({ maxIdle: 4 });
    await client.execute("create table if not exists conc (id integer primary key, v integer)");
    for (let round = 0; round < 3; round++)
      await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          client.execute({ sql: "insert into conc (v) values (?)", args: [round * 16 + i] }),
        ),
      );
    const got = await plain().execute("select v from conc order by v");
    expect(got.rows.map((r) => r.v)).toEqual(Array.from({ length: 48 }, (_, i) => i));
    client.close();
  });

  it("leaves the server's connections free with 64 requests at once", async () => {
    // A server of its own: the other tests' clients keep streams on the shared one.
    const own = await startSqld();
    const client = createClient({
      url: own.url,
      fetch: keptStreams(nodeServerExchange(5000), { maxIdle: 4 }),
    });
    // 64 at a time: up to 64 streams open at once, 4 kept afterwards, the others closed.
    await Promise.all(Array.from({ length: 64 }, () => client.execute("select 1")));
    await new Promise((resolve) => setTimeout(resolve, 200));
    // sqld opens 128 connections at most (then a new stream waits 1 s and is refused with 429): 120
    // streams left open by another client all open at once.
    const url = new URL("/v3/pipeline", own.url).toString();
    const open = async () => {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ requests: [{ type: "execute", stmt: { sql: "select 1" } }] }),
      });
      return {
        status: response.status,
        baton: ((await response.json()) as { baton?: string }).baton,
      };
    };
    const opened = [];
    for (let i = 0; i < 120; i++) opened.push(await open());
    expect(opened.filter((o) => o.status !== 200)).toEqual([]);
    for (const { baton } of opened)
      await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ baton, requests: [{ type: "close" }] }),
      });
    client.close();
    await own.dispose();
  });
});
