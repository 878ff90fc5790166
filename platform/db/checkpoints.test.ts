import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { libsqlClient } from "../../core/db/database.ts";
import { backgroundCheckpoints, type CheckpointReport } from "./checkpoints.ts";
import { openDatabase } from "./open.ts";

const dir = mkdtempSync(join(tmpdir(), "gridpulse-checkpoints-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const until = async (what: string, ok: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** 300 rows of 2 KB: ~170 WAL frames, below SQLite's own autocheckpoint (1,000). */
async function writeRows(url: string, intervalMs: number, reports: CheckpointReport[]) {
  const opened = await openDatabase({
    url,
    checkpointIntervalMs: intervalMs,
    onCheckpoint: (r) => reports.push(r),
  });
  const client = libsqlClient(opened.db);
  await client.execute("create table t (id integer primary key, b blob)");
  const blob = new Uint8Array(2000).fill(7);
  await Promise.all(
    Array.from({ length: 300 }, (_, i) =>
      client.execute({ sql: "insert into t values (?, ?)", args: [i, blob] }),
    ),
  );
  return opened;
}

describe("WAL checkpoints on their own thread", () => {
  it("copies committed pages into the database file while the writer never checkpoints", async () => {
    const own: CheckpointReport[] = [];
    const sqliteOwn = await writeRows(`file:${join(dir, "own.db")}`, 0, own);
    const thread: CheckpointReport[] = [];
    const withThread = await writeRows(`file:${join(dir, "thread.db")}`, 20, thread);
    try {
      // The thread checkpoints once the WAL has settled: every frame copied, the file holds the rows.
      await until("a complete checkpoint", () =>
        thread.some((r) => r.kind === "checkpoint" && !r.busy && r.checkpointed >= 150),
      );
      const last = thread.at(-1) as Extract<CheckpointReport, { kind: "checkpoint" }>;
      expect(last.checkpointed).toBe(last.walFrames);
      expect(statSync(join(dir, "thread.db")).size).toBeGreaterThan(600_000);
      // Without it, 170 frames stay in the WAL: the database file still has only its first pages.
      expect(own).toEqual([]);
      expect(statSync(join(dir, "own.db")).size).toBeLessThan(100_000);
      // Idle: no commit, no checkpoint (the thread compares the WAL's size and time first).
      const before = thread.length;
      await new Promise((r) => setTimeout(r, 200));
      expect(thread.length).toBe(before);
      // The rows read back through the writer's connection as committed.
      const { rows } = await libsqlClient(withThread.db).execute("select count(*) as n from t");
      expect(Number(rows[0]?.n)).toBe(300);
    } finally {
      sqliteOwn.close();
      withThread.close();
    }
  });

  it("reports a checkpoint that keeps failing, once", async () => {
    // A WAL next to a "database" that is a folder: every attempt fails to open it.
    const path = join(dir, "not-a-database.db");
    mkdirSync(path);
    writeFileSync(`${path}-wal`, "not a WAL either");
    const failures: string[] = [];
    const checkpoints = backgroundCheckpoints(path, {
      intervalMs: 10,
      onFailure: (message) => failures.push(message),
    });
    try {
      await until("the failure", () => failures.length > 0);
      await new Promise((r) => setTimeout(r, 100));
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatch(/unable to open|not a database|directory/i);
    } finally {
      checkpoints.stop();
    }
  });

  it("tries a failed checkpoint again, on a new connection, and goes on once it works", async () => {
    const path = join(dir, "recovers.db");
    writeFileSync(path, "not a database yet ".repeat(300));
    writeFileSync(`${path}-wal`, "not a WAL either");
    const retries: string[] = [];
    const failures: string[] = [];
    const reports: CheckpointReport[] = [];
    const checkpoints = backgroundCheckpoints(path, {
      intervalMs: 60,
      onRetry: (message) => retries.push(message),
      onFailure: (message) => failures.push(message),
      onCheckpoint: (r) => reports.push(r),
    });
    try {
      await until("a failed checkpoint", () => retries.length > 0);
      // The file becomes a database with a WAL to copy (another connection writes it).
      rmSync(`${path}-wal`, { force: true }); // closing the failed connection may have removed it
      rmSync(path);
      const { db, close } = await openDatabase({ url: `file:${path}` });
      await libsqlClient(db).execute("create table t (x)");
      await until("a checkpoint", () => reports.some((r) => r.kind === "checkpoint"));
      close();
      expect(retries.length).toBeLessThan(5);
      expect(failures).toEqual([]);
    } finally {
      checkpoints.stop();
    }
  });

  it("never lets process.exit tear the thread down inside a checkpoint (libSQL would abort)", () => {
    // A child writes without pause while its thread checkpoints every millisecond, then exits with
    // code 7, most likely in the middle of a checkpoint. Torn down inside a libSQL call, the process
    // would abort (SIGABRT); without the guard most runs do.
    const script = join(dir, "exit-child.ts");
    writeFileSync(
      script,
      `import { libsqlClient } from ${JSON.stringify(new URL("../../core/db/database.ts", import.meta.url).pathname)};
import { openDatabase } from ${JSON.stringify(new URL("./open.ts", import.meta.url).pathname)};
let checkpoints = 0;
const exit = () => process.exit(7);
const { db } = await openDatabase({
  url: process.argv[2],
  checkpointIntervalMs: 1,
  // After the tenth, exit a few milliseconds on: most likely inside the next checkpoint.
  onCheckpoint: () => ++checkpoints === 10 && setTimeout(exit, Math.random() * 4),
});
process.on("exit", () => console.log(JSON.stringify({ checkpoints })));
const client = libsqlClient(db);
await client.execute("create table if not exists t (id integer primary key, b blob)");
const blob = new Uint8Array(3000).fill(1);
for (;;)
  await client.batch(Array.from({ length: 20 }, () => ({ sql: "insert into t (b) values (?)", args: [blob] })), "write");
`,
    );
    for (let run = 0; run < 3; run++) {
      const child = spawnSync(process.execPath, [script, `file:${join(dir, `exit-${run}.db`)}`], {
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(child.stderr).not.toMatch(/panicked/);
      expect({ status: child.status, signal: child.signal }).toEqual({ status: 7, signal: null });
      expect(JSON.parse(child.stdout).checkpoints).toBeGreaterThanOrEqual(10);
    }
  }, 90_000);

  it("never keeps the process alive by itself", () => {
    const script = join(dir, "idle-child.ts");
    writeFileSync(
      script,
      `import { libsqlClient } from ${JSON.stringify(new URL("../../core/db/database.ts", import.meta.url).pathname)};
import { openDatabase } from ${JSON.stringify(new URL("./open.ts", import.meta.url).pathname)};
let checkpoints = 0;
const { db } = await openDatabase({ url: process.argv[2], checkpointIntervalMs: 5, onCheckpoint: () => { checkpoints++; } });
await libsqlClient(db).execute("create table t (x)");
await new Promise((r) => setTimeout(r, 300));
process.on("exit", () => console.log(JSON.stringify({ checkpoints })));
// Not closed: the process ends when its own work is done.
`,
    );
    const child = spawnSync(process.execPath, [script, `file:${join(dir, "idle.db")}`], {
      encoding: "utf8",
      timeout: 20_000,
    });
    expect({ status: child.status, signal: child.signal }).toEqual({ status: 0, signal: null });
    expect(JSON.parse(child.stdout).checkpoints).toBeGreaterThanOrEqual(1);
  }, 30_000);
});
