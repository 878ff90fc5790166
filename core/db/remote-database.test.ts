import { type Client, createClient, type InStatement } from "@libsql/client";
import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { busyRetryCounts, withBusyRetry } from "./busy-retry.ts";
import {
  attachRemoteDatabase,
  combinable,
  DatabaseUnavailableError,
  isDatabaseUnavailable,
  isWriteStatement,
  RemoteDatabase,
  type RemoteDatabaseOptions,
  retryRefused,
  type ServerCall,
  type ServerReply,
  serverFetch,
} from "./remote-database.ts";

const busy = () =>
  Object.assign(new Error("SQLITE_BUSY: database is locked"), { code: "SQLITE_BUSY" });

/**
 * A real in-memory database posing as a libSQL server client: every `batch` is recorded, the first
 * one can be held back (so that others queue up behind it), and failures can be injected.
 */
function fakeServer(protocol = "http") {
  const inner = createClient({ url: ":memory:" });
  const batches: { statements: number; mode: string | undefined }[] = [];
  let executes = 0;
  const faults: (() => Error | undefined)[] = [];
  let hold: Promise<void> | undefined;
  let release = () => {};
  const client = new Proxy(inner, {
    get(target, prop) {
      if (prop === "protocol") return protocol;
      if (prop === "batch")
        return async (statements: InStatement[], mode?: "write" | "read" | "deferred") => {
          batches.push({ statements: statements.length, mode });
          const gate = hold;
          hold = undefined;
          if (gate) await gate;
          const fault = faults.shift()?.();
          if (fault) throw fault;
          return target.batch(statements, mode);
        };
      if (prop === "execute")
        return async (statement: InStatement) => {
          executes += 1;
          const gate = hold;
          hold = undefined;
          if (gate) await gate;
          const fault = faults.shift()?.();
          if (fault) throw fault;
          return target.execute(statement);
        };
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return {
    client: client as Client,
    inner,
    batches,
    executes: () => executes,
    /** The next batch or statement waits until `release()`. */
    holdNext() {
      hold = new Promise<void>((r) => {
        release = r;
      });
      return () => release();
    },
    failNext(fault: () => Error | undefined) {
      faults.push(fault);
    },
  };
}

const noSleep = { sleep: async () => {}, random: () => 0.5 };
/** Lets the write in flight reach the server before more are submitted. */
const tick = () => new Promise((r) => setTimeout(r, 5));
const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

async function setupRemote(protocol = "http", attach = true, options: RemoteDatabaseOptions = {}) {
  const server = fakeServer(protocol);
  closers.push(() => server.inner.close());
  await server.inner.batch(
    [
      "create table homes (id text primary key, tenant text not null)",
      "create table totals (scope text primary key, homes integer not null)",
    ],
    "write",
  );
  const remote = new RemoteDatabase(options);
  const client = withBusyRetry(
    attach ? attachRemoteDatabase(server.client, remote) : server.client,
    noSleep,
  );
  const store = (id: string, scope = "t1") =>
    client.batch(
      [
        { sql: "insert into homes (id, tenant) values (?, ?)", args: [id, scope] },
        {
          sql: "insert into totals (scope, homes) values (?, 1) on conflict (scope) do update set homes = homes + 1",
          args: [scope],
        },
      ],
      "write",
    );
  const count = async () => ({
    homes: Number((await server.inner.execute("select count(*) as n from homes")).rows[0]?.n),
    total: Number(
      (await server.inner.execute("select coalesce(sum(homes), 0) as n from totals")).rows[0]?.n,
    ),
  });
  return { server, remote, client, store, count };
}

/** How queued members hear of their turn and result: promises (Node), their own timers (Workers). */
const handOffs = [
  ["promises", 0],
  ["timers of their own", 1],
] as const;

describe.each(handOffs)("remote writes: one group in flight, waiters woken by %s", (_, pollMs) => {
  const setup = (protocol = "http", attach = true, options: RemoteDatabaseOptions = {}) =>
    setupRemote(protocol, attach, { pollMs, ...options });

  it("sends a lone write as asked, and writes that arrive meanwhile as one transaction", async () => {
    const { server, remote, store, count } = await setup();
    const release = server.holdNext();
    const first = store("h0");
    await tick();
    const rest = Array.from({ length: 10 }, (_, i) => store(`h${i + 1}`));
    release();
    const results = await Promise.all([first, ...rest]);
    expect(server.batches).toEqual([
      { statements: 2, mode: "write" },
      { statements: 20, mode: "write" },
    ]);
    // Each caller gets the result sets of its own statements.
    for (const own of results) {
      expect(own).toHaveLength(2);
      expect(own.map((r) => r.rowsAffected)).toEqual([1, 1]);
    }
    expect(await count()).toEqual({ homes: 11, total: 11 });
    expect(remote.counts).toEqual({
      groups: 2,
      writes: 11,
      split: 0,
      combined: 0,
      expired: 0,
      readGroups: 0,
      reads: 0,
    });
  });

  it("writes queued longer than the deadline behind a stalled group fail unsent; later ones go", async () => {
    const { server, remote, store, count } = await setup("http", true, { queueTimeoutMs: 50 });
    const release = server.holdNext();
    const first = store("h0");
    await tick();
    const stale = [store("h1"), store("h2")];
    await new Promise((r) => setTimeout(r, 120));
    const fresh = store("h3");
    release();
    await first;
    for (const write of stale) {
      await expect(write).rejects.toThrow(DatabaseUnavailableError);
      await expect(write).rejects.toThrow(/not sent/);
    }
    await fresh;
    expect(server.batches).toEqual([
      { statements: 2, mode: "write" },
      { statements: 2, mode: "write" },
    ]);
    expect(await count()).toEqual({ homes: 2, total: 2 });
    expect(remote.counts).toMatchObject({ groups: 2, writes: 2, expired: 2 });
  });

  it("a write that fails on a statement fails alone, with its own error; the others commit once", async () => {
    const { server, remote, store, count } = await setup();
    await store("taken");
    const release = server.holdNext();
    const first = store("a");
    await tick();
    const group = [store("b"), store("taken"), store("c")];
    release();
    const settled = await Promise.allSettled([first, ...group]);
    expect(settled.map((s) => s.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
    expect(String((settled[2] as PromiseRejectedResult).reason)).toMatch(/UNIQUE constraint/);
    expect(await count()).toEqual({ homes: 4, total: 4 });
    expect(remote.counts.split).toBe(1);
  });

  it("combines the members' combinable increments into one statement; a bad write still fails alone", async () => {
    const { server, remote, client, count } = await setup();
    // The totals increment of a write, combinable per scope: one upsert per group with the sum.
    const increment = (scope: string, homes: number): InStatement =>
      combinable(
        {
          sql: "insert into totals (scope, homes) values (?, ?) on conflict (scope) do update set homes = homes + excluded.homes",
          args: [scope, homes],
        },
        {
          key: `totals ${scope}`,
          part: homes,
          combine: (parts: number[]) =>
            increment(
              scope,
              parts.reduce((a, b) => a + b, 0),
            ),
        },
      );
    const store = (id: string, scope = "t1") =>
      client.batch(
        [
          { sql: "insert into homes (id, tenant) values (?, ?)", args: [id, scope] },
          increment(scope, 1),
        ],
        "write",
      );
    const release = server.holdNext();
    const first = store("a");
    await tick();
    const group = [store("b"), store("c", "t2"), store("d"), store("e", "t2")];
    release();
    const results = await Promise.all([first, ...group]);
    // 4 inserts + one upsert per scope, instead of 8 statements.
    expect(server.batches.map((b) => b.statements)).toEqual([2, 6]);
    expect(remote.counts.combined).toBe(2);
    for (const own of results) expect(own).toHaveLength(2);
    const totals = await server.inner.execute("select scope, homes from totals order by scope");
    expect(totals.rows.map((r) => [r.scope, r.homes])).toEqual([
      ["t1", 3],
      ["t2", 2],
    ]);
    // A group that fails on a statement runs its members alone, each with its own increment.
    const held = server.holdNext();
    const next = store("f");
    await tick();
    const failing = [store("g"), store("a"), store("h", "t2")];
    held();
    const settled = await Promise.allSettled([next, ...failing]);
    expect(settled.map((r) => r.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
    expect(await count()).toEqual({ homes: 8, total: 8 });
    expect(server.batches.map((b) => b.statements).slice(2)).toEqual([2, 5, 2, 2, 2]);
  });

  it("a group refused as BUSY is retried whole: every write counted once", async () => {
    const { server, store, count } = await setup();
    const before = busyRetryCounts().retried;
    const release = server.holdNext();
    const first = store("a");
    await tick();
    const group = [store("b"), store("c"), store("d")];
    server.failNext(() => undefined); // the held first batch goes through
    server.failNext(busy); // the group is refused once
    release();
    await Promise.all([first, ...group]);
    expect(await count()).toEqual({ homes: 4, total: 4 });
    expect(busyRetryCounts().retried).toBe(before + 1);
    expect(server.batches.map((b) => b.statements)).toEqual([2, 6, 6]);
  });

  it("any other failure of a group fails each of its writes, none is sent again", async () => {
    const { server, store, count } = await setup();
    const release = server.holdNext();
    const first = store("a");
    await tick();
    const group = [store("b"), store("c")];
    server.failNext(() => undefined);
    server.failNext(() => new TypeError("fetch failed"));
    release();
    const settled = await Promise.allSettled([first, ...group]);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "rejected"]);
    expect(server.batches).toHaveLength(2);
    expect(await count()).toEqual({ homes: 1, total: 1 });
    // The queue is free again.
    await store("d");
    expect(await count()).toEqual({ homes: 2, total: 2 });
  });

  it("write statements join the queue and get their own result; reads never wait", async () => {
    const { server, client, store } = await setup();
    const release = server.holdNext();
    const first = store("a");
    await tick();
    const inserted = client.execute({
      sql: "insert into homes (id, tenant) values (?, ?) returning id",
      args: ["x", "t2"],
    });
    const positional = client.execute("update homes set tenant = ? where id = ?", ["t3", "x"]);
    // A read is not queued behind the held write.
    expect(Number((await client.execute("select count(*) as n from homes")).rows[0]?.n)).toBe(0);
    release();
    await first;
    expect((await inserted).rows[0]?.id).toBe("x");
    expect((await positional).rowsAffected).toBe(1);
    expect(server.batches.map((b) => b.statements)).toEqual([2, 2]);
  });

  it("a deferred batch that writes joins the queue; batches that only read never wait", async () => {
    const { server, client, store, count } = await setup();
    const release = server.holdNext();
    const first = store("a");
    await tick();
    const deferred = client.batch([
      "insert into homes (id, tenant) values ('d', 't9')",
      "select count(*) as n from homes",
    ]);
    const reads = await client.batch(["select count(*) as n from homes"], "deferred");
    expect(Number(reads[0]?.rows[0]?.n)).toBe(0);
    release();
    await Promise.all([first, deferred]);
    expect(Number((await deferred)[1]?.rows[0]?.n)).toBe(2);
    expect(server.batches.map((b) => [b.statements, b.mode])).toEqual([
      [2, "write"],
      [1, "deferred"],
      [2, "write"],
    ]);
    expect((await count()).homes).toBe(2);
  });

  it("a long-lived server client gets a queue of its own; an embedded file none", async () => {
    const server = await setup("http", false);
    let release = server.server.holdNext();
    let all = [server.store("a")];
    await tick();
    all.push(server.store("b"), server.store("c"));
    release();
    await Promise.all(all);
    expect(server.server.batches.map((b) => b.statements)).toEqual([2, 4]);
    const file = await setup("file", false);
    release = file.server.holdNext();
    all = [file.store("a"), file.store("b"), file.store("c")];
    release();
    await Promise.all(all);
    expect(file.server.batches.map((b) => b.statements)).toEqual([2, 2, 2]);
  });

  it("splits a long queue into groups of at most the configured statements", async () => {
    const server = fakeServer();
    closers.push(() => server.inner.close());
    await server.inner.execute("create table t (x integer)");
    const client = withBusyRetry(
      attachRemoteDatabase(server.client, new RemoteDatabase({ maxGroupStatements: 4 })),
      noSleep,
    );
    const write = (i: number) =>
      client.batch([{ sql: "insert into t values (?)", args: [i] }], "write");
    const release = server.holdNext();
    const writes = [write(0)];
    await tick();
    for (let i = 1; i < 7; i++) writes.push(write(i));
    release();
    await Promise.all(writes);
    expect(server.batches.map((b) => b.statements)).toEqual([1, 4, 2]);
  });
});

describe.each(handOffs)(
  "remote reads: grouped while one is in flight, waiters woken by %s",
  (_, pollMs) => {
    const setup = (protocol = "http", attach = true, options: RemoteDatabaseOptions = {}) =>
      setupRemote(protocol, attach, { pollMs, ...options });
    const read = (client: Client, id: string) =>
      client.execute({ sql: "select id, tenant from homes where id = ?", args: [id] });

    it("sends a lone read at once, and reads that arrive meanwhile as one read transaction", async () => {
      const { server, remote, client, store } = await setup();
      for (const id of ["a", "b", "c", "d", "e"]) await store(id, `t-${id}`);
      const batchesBefore = server.batches.length;
      const release = server.holdNext();
      const first = read(client, "a");
      await tick();
      const rest = ["b", "c", "d", "e", "none"].map((id) => read(client, id));
      // Nothing else is sent while the first read is out.
      expect(server.executes()).toBe(1);
      release();
      const results = await Promise.all([first, ...rest]);
      // Each caller gets its own rows.
      expect(results.map((r) => r.rows[0]?.tenant ?? null)).toEqual([
        "t-a",
        "t-b",
        "t-c",
        "t-d",
        "t-e",
        null,
      ]);
      expect(server.batches.slice(batchesBefore)).toEqual([{ statements: 5, mode: "read" }]);
      expect(remote.counts).toMatchObject({ readGroups: 2, reads: 6 });
      // The queue is free again: the next read goes alone.
      expect((await read(client, "b")).rows[0]?.tenant).toBe("t-b");
      expect(server.executes()).toBe(2);
    });

    it("a read that fails on a statement fails alone, with its own error", async () => {
      const { server, client, store } = await setup();
      await store("a");
      const release = server.holdNext();
      const first = read(client, "a");
      await tick();
      const good = read(client, "a");
      const bad = client.execute("select nope from homes");
      const other = read(client, "a");
      release();
      await first;
      await expect(bad).rejects.toThrow(/nope/);
      expect((await good).rows[0]?.id).toBe("a");
      expect((await other).rows[0]?.id).toBe("a");
    });

    it("any other failure of a group fails each of its reads; the next ones go", async () => {
      const { server, client, store } = await setup();
      await store("a");
      const release = server.holdNext();
      const first = read(client, "a");
      await tick();
      const queued = [read(client, "a"), read(client, "a")];
      server.failNext(() => undefined); // the first read itself succeeds
      server.failNext(() => new Error("connection reset"));
      release();
      await first;
      for (const r of queued) await expect(r).rejects.toThrow("connection reset");
      expect((await read(client, "a")).rows[0]?.id).toBe("a");
    });

    it("reads queued longer than the deadline behind a stalled read fail unsent; later ones go", async () => {
      const { server, remote, client, store } = await setup("http", true, { queueTimeoutMs: 50 });
      await store("a");
      const release = server.holdNext();
      const stalled = read(client, "a");
      await tick();
      const queued = [read(client, "a"), read(client, "a")];
      await new Promise((r) => setTimeout(r, 80));
      release();
      await stalled;
      for (const r of queued)
        await expect(r).rejects.toThrow(
          "read not sent: the database server did not answer the reads ahead of it within 50 ms",
        );
      expect(remote.counts.expired).toBe(2);
      expect((await read(client, "a")).rows[0]?.id).toBe("a");
    });

    it("more pipelines in flight when configured; 0 sends every read at once", async () => {
      for (const [maxReadPipelines, alone] of [
        [2, 2],
        [0, 4],
      ] as const) {
        const { server, client, store } = await setup("http", true, { maxReadPipelines });
        await store("a");
        const release = server.holdNext();
        const reads = [read(client, "a")];
        await tick();
        reads.push(read(client, "a"), read(client, "a"), read(client, "a"));
        await tick();
        // Reads sent on their own so far (the held one included).
        expect(server.executes()).toBe(alone);
        release();
        for (const r of await Promise.all(reads)) expect(r.rows[0]?.id).toBe("a");
      }
    });

    it("every read keeps its request alive until it settles (Workers' waitUntil), the lone one too", async () => {
      const server = fakeServer();
      closers.push(() => server.inner.close());
      const kept: Promise<unknown>[] = [];
      const client = withBusyRetry(
        attachRemoteDatabase(server.client, new RemoteDatabase({ pollMs }), (p) => kept.push(p)),
        noSleep,
      );
      const release = server.holdNext();
      const lone = client.execute("select 1 as one");
      await tick();
      const queued = client.execute("select 2 as two");
      expect(kept).toHaveLength(2);
      let settled = 0;
      for (const p of kept) void p.then(() => settled++);
      await tick();
      expect(settled).toBe(0);
      release();
      await Promise.all([lone, queued]);
      await Promise.all(kept);
      expect(settled).toBe(2);
    });

    it("reads never wait for writes, nor writes for reads", async () => {
      const { server, client, store, count } = await setup();
      const release = server.holdNext();
      const heldRead = read(client, "x");
      await tick();
      await store("w");
      expect((await count()).homes).toBe(1);
      release();
      expect((await heldRead).rows).toHaveLength(0);
    });
  },
);

it("with pollMs, queued reads and writes wait on timers of their own (Workers)", async () => {
  for (const pollMs of [0, 3]) {
    const { server, client, store } = await setupRemote("http", true, { pollMs });
    await store("a");
    const timers = vi.spyOn(globalThis, "setTimeout");
    try {
      const release = server.holdNext();
      const reads = [client.execute("select 1 as one")];
      const writes = [store("b")];
      await new Promise((r) => setImmediate(r));
      reads.push(client.execute("select 2 as two"));
      writes.push(store("c"));
      await new Promise((r) => setImmediate(r));
      const polls = () => timers.mock.calls.filter(([, ms]) => ms === pollMs).length;
      // Waiting members look at their own state from timers of their own, and only with pollMs.
      expect(polls() > 0).toBe(pollMs > 0);
      release();
      const [one, two] = await Promise.all(reads);
      expect(one?.rows[0]?.one).toBe(1);
      expect(two?.rows[0]?.two).toBe(2);
      for (const w of await Promise.all(writes))
        expect(w.map((r) => r.rowsAffected)).toEqual([1, 1]);
    } finally {
      timers.mockRestore();
    }
  }
});

it("a polling member that waits long looks less often: a stalled server costs few timers", async () => {
  const { server, client } = await setupRemote("http", true, { pollMs: 1 });
  const timers = vi.spyOn(globalThis, "setTimeout");
  try {
    const release = server.holdNext();
    const first = client.execute("select 1 as one");
    await new Promise((r) => setImmediate(r));
    const queued = client.execute("select 2 as two");
    await new Promise((r) => setTimeout(r, 400));
    const looks = timers.mock.calls.filter(([, ms]) => typeof ms === "number" && ms <= 16).length;
    // Every millisecond throughout would be about 400 looks; an eighth of the time waited, ~45.
    expect(looks).toBeGreaterThan(2);
    expect(looks).toBeLessThan(100);
    release();
    expect((await first).rows[0]?.one).toBe(1);
    expect((await queued).rows[0]?.two).toBe(2);
  } finally {
    timers.mockRestore();
  }
});

describe("remote read cache", () => {
  it("serves a value younger than the TTL, reads again after; TTL 0 always reads", async () => {
    let loads = 0;
    const load = async () => ++loads;
    const cached = new RemoteDatabase({ readCacheTtlMs: 1000 });
    expect(await cached.cached("k", load, 0)).toBe(1);
    expect(await cached.cached("k", load, 999)).toBe(1);
    expect(await cached.cached("other", load, 999)).toBe(2);
    expect(await cached.cached("k", load, 1000)).toBe(3);
    const uncached = new RemoteDatabase({ readCacheTtlMs: 0 });
    expect(await uncached.cached("k", load, 0)).toBe(4);
    expect(await uncached.cached("k", load, 0)).toBe(5);
  });
});

describe.each(handOffs)(
  "remote read cache, concurrent misses, waiters woken by %s",
  (_, pollMs) => {
    it("share one load; if it fails, each loads for itself", async () => {
      const cache = new RemoteDatabase({ readCacheTtlMs: 1000, pollMs });
      const timers = vi.spyOn(globalThis, "setTimeout");
      onTestFinished(() => timers.mockRestore());
      let loads = 0;
      let release = () => {};
      const gate = new Promise<void>((r) => {
        release = r;
      });
      const slow = async () => {
        loads += 1;
        await gate;
        return loads;
      };
      const first = Array.from({ length: 5 }, () => cache.cached("k", slow, 0));
      release();
      expect(await Promise.all(first)).toEqual([1, 1, 1, 1, 1]);
      expect(loads).toBe(1);

      let fail = () => {};
      const failing = new Promise<number>((_, reject) => {
        fail = () => reject(new Error("server went away"));
      });
      const own = async () => 42;
      const waiters = [cache.cached("f", () => failing, 0), cache.cached("f", own, 0)];
      fail();
      const settled = await Promise.allSettled(waiters);
      expect(settled[0]?.status).toBe("rejected");
      expect(settled[1]).toEqual({ status: "fulfilled", value: 42 });
      // Waiters looked from timers of their own, and only with pollMs.
      expect(timers.mock.calls.some(([, ms]) => ms === 1)).toBe(pollMs > 0);
    });
  },
);

describe("serverFetch", () => {
  it("asks the server for an uncompressed response", async () => {
    const { createServer } = await import("node:http");
    const seen: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers["accept-encoding"]);
      res.end("ok");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const { port } = server.address() as { port: number };
    try {
      const res = await serverFetch(5000)(
        new Request(`http://127.0.0.1:${port}/v2/pipeline`, { method: "POST", body: "{}" }),
      );
      expect(await res.text()).toBe("ok");
      const plain = await fetch(`http://127.0.0.1:${port}/`);
      await plain.text();
    } finally {
      server.close();
    }
    expect(seen[0]).toBe("identity");
    expect(seen[1]).toMatch(/gzip/); // what fetch asks for by default
  });

  it("a server that does not answer, refuses, or is unavailable behind a gateway: DatabaseUnavailableError", async () => {
    const { createServer } = await import("node:http");
    const server = createServer((req, res) => {
      if (req.url === "/gateway") {
        res.statusCode = 503;
        res.end("no upstream");
      } else if (req.url === "/slow-body") {
        // Headers and the start of an answer, then nothing more.
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"baton":');
      }
      // Any other path: never answered (a stalled server).
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const { port } = server.address() as { port: number };
    const request = (url: string) => new Request(url, { method: "POST", body: "{}" });
    try {
      const started = performance.now();
      const stalled = serverFetch(200)(request(`http://127.0.0.1:${port}/v2/pipeline`));
      await expect(stalled).rejects.toThrow(DatabaseUnavailableError);
      await expect(stalled).rejects.toThrow(/did not answer within 200 ms/);
      expect(performance.now() - started).toBeLessThan(5000);

      // The deadline covers the answer too: one that stops half-way fails like a stalled server.
      const slowBody = serverFetch(200)(request(`http://127.0.0.1:${port}/slow-body`));
      await expect(slowBody).rejects.toThrow(/did not answer within 200 ms/);

      const gateway = serverFetch(5000)(request(`http://127.0.0.1:${port}/gateway`));
      await expect(gateway).rejects.toThrow(/answered 503/);

      const closed = await new Promise<number>((r) => {
        const probe = createServer();
        probe.listen(0, "127.0.0.1", () => {
          const free = (probe.address() as { port: number }).port;
          probe.close(() => r(free));
        });
      });
      const refused = serverFetch(5000)(request(`http://127.0.0.1:${closed}/`));
      await expect(refused).rejects.toThrow(/unreachable/);
      expect(isDatabaseUnavailable(await refused.catch((e: unknown) => e))).toBe(true);
    } finally {
      server.closeAllConnections();
      server.close();
    }
    // A deadline reached while a response was being read surfaces as the signal's TimeoutError.
    expect(isDatabaseUnavailable(new DOMException("timed out", "TimeoutError"))).toBe(true);
    expect(
      isDatabaseUnavailable(new Error("x", { cause: new DatabaseUnavailableError("y") })),
    ).toBe(true);
    expect(isDatabaseUnavailable(new Error("SQLITE_CONSTRAINT: UNIQUE constraint failed"))).toBe(
      false,
    );
  });
});

it("tells write statements from the rest", () => {
  expect(isWriteStatement("insert into t values (1)")).toBe(true);
  expect(isWriteStatement({ sql: "  UPDATE t set x = 1", args: [] })).toBe(true);
  expect(isWriteStatement(["delete from t", []])).toBe(true);
  expect(isWriteStatement("select * from t")).toBe(false);
  expect(isWriteStatement("with x as (select 1) select * from x")).toBe(false);
});

describe("retryRefused", () => {
  const call: ServerCall = {
    url: "http://db/v2/pipeline",
    method: "POST",
    headers: new Headers(),
    body: '{"requests":[]}',
  };
  const reply = (status: number): ServerReply => ({
    status,
    statusText: "",
    headers: new Headers(),
    text: status === 429 ? '{"error":"Timed out while opening database connection"}' : "{}",
  });
  /** An exchange answering `statuses` in turn, on a clock that each exchange and pause moves on. */
  const scripted = (statuses: number[], exchangeMs: number) => {
    let nowMs = 0;
    const sent: ServerCall[] = [];
    const pauses: number[] = [];
    const refusals: boolean[] = [];
    const exchange = async (c: ServerCall) => {
      sent.push(c);
      nowMs += exchangeMs;
      return reply(statuses[sent.length - 1] ?? 200);
    };
    const options = {
      now: () => nowMs,
      sleep: async (ms: number) => {
        pauses.push(ms);
        nowMs += ms;
      },
      random: () => 1,
      onRefused: (retried: boolean) => refusals.push(retried),
    };
    return { exchange, options, sent, pauses, refusals };
  };

  it("sends a refused request again, the same, after growing pauses, until it is admitted", async () => {
    const s = scripted([429, 429, 429, 200], 1000);
    const answer = await retryRefused(s.exchange, { deadlineMs: 5000, ...s.options })(call);
    expect(answer.status).toBe(200);
    expect(s.sent).toHaveLength(4);
    expect(s.sent.every((c) => c === call)).toBe(true);
    expect(s.pauses).toEqual([20, 40, 80]);
    expect(s.refusals).toEqual([true, true, true]);
  });

  it("past the deadline: DatabaseUnavailableError (503 with Retry-After), no more tries", async () => {
    const s = scripted([429, 429, 429, 429, 429], 1000);
    const refused = retryRefused(s.exchange, { deadlineMs: 2500, ...s.options })(call);
    await expect(refused).rejects.toThrow(DatabaseUnavailableError);
    await expect(refused).rejects.toThrow(/refused the request \(429: no connection free\)/);
    expect(isDatabaseUnavailable(await refused.catch((e: unknown) => e))).toBe(true);
    // 1,000 ms, pause 20, 1,000 ms, pause 40, 1,000 ms: a fourth would start past 2,500 ms.
    expect(s.sent).toHaveLength(3);
    expect(s.refusals).toEqual([true, true, false]);
  });

  it("passes every other answer through at once, gateway and client errors included", async () => {
    for (const status of [200, 400, 404, 500]) {
      const s = scripted([status], 10);
      expect(
        (await retryRefused(s.exchange, { deadlineMs: 5000, ...s.options })(call)).status,
      ).toBe(status);
      expect(s.sent).toHaveLength(1);
      expect(s.refusals).toEqual([]);
    }
  });

  it("pauses are jittered between half and all of the step, and capped", async () => {
    const s = scripted(Array(12).fill(429), 0);
    await retryRefused(s.exchange, {
      deadlineMs: 100_000,
      ...s.options,
      random: () => 0,
      maxDelayMs: 200,
    })(call);
    expect(s.pauses.slice(0, 5)).toEqual([10, 20, 40, 80, 100]);
    expect(Math.max(...s.pauses)).toBe(100);
  });
});
