/**
 * The stream worker checks its whole configuration before it opens anything: its own variables, the
 * rules across them (alert lease against the tick), the dispatch stage's NOTIFY_* and the VAPID pair.
 * A bad start names every offending variable in one message and leaves no database behind.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import webPush from "web-push";
import { repoRoot } from "../support/processes.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The test process's environment without any setting of gridpulse's (a developer's shell may hold some). */
const inherited = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) =>
      !/^(STREAM_|NOTIFY_|VAPID_|DATABASE_|KAFKA_|OTEL_|LOG_|HTTP_|GRIDPULSE_)/.test(name),
  ),
);

/** Runs `node stream/main.ts` with only `vars` as settings, in an empty data directory. */
function start(vars: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), "gridpulse-startup-"));
  dirs.push(dir);
  return new Promise<{ code: number | null; stderr: string; stdout: string; files: string[] }>(
    (resolve) => {
      execFile(
        process.execPath,
        ["stream/main.ts"],
        {
          cwd: repoRoot,
          timeout: 30_000,
          env: {
            ...inherited,
            GRIDPULSE_DATA_DIR: dir,
            DATABASE_URL: `file:${join(dir, "gridpulse.db")}`,
            // Nothing listens there: a worker that got past its configuration would hang on it.
            KAFKA_BROKERS: "127.0.0.1:1",
            STREAM_PORT: "0",
            ...vars,
          },
        },
        (error, stdout, stderr) => {
          const code = error ? ((error as { code?: number }).code ?? null) : 0;
          resolve({ code, stdout, stderr, files: readdirSync(dir) });
        },
      );
    },
  );
}

describe("stream worker start with a bad configuration", () => {
  it("names every bad variable in one message, field errors and rules across variables alike, and opens no database", async () => {
    const vapid = webPush.generateVAPIDKeys();
    const run = await start({
      STREAM_SESSION_TIMEOUT_MS: "0",
      STREAM_ALERT_LEASE_MS: "1500",
      NOTIFY_LEASE_MS: "1000",
      NOTIFY_PUSH_TTL_S: "abc",
      VAPID_PUBLIC_KEY: vapid.publicKey,
    });
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    expect(run.stderr.match(/invalid stream worker configuration/g)).toHaveLength(1);
    for (const name of [
      "STREAM_SESSION_TIMEOUT_MS",
      "STREAM_ALERT_LEASE_MS",
      "NOTIFY_LEASE_MS",
      "NOTIFY_PUSH_TTL_S",
      "VAPID_PRIVATE_KEY",
    ]) {
      expect(run.stderr).toContain(name);
    }
    expect(run.files).toEqual([]);
  });

  it("refuses rules across variables before opening the database when every variable alone is valid", async () => {
    const a = webPush.generateVAPIDKeys();
    const b = webPush.generateVAPIDKeys();
    const run = await start({
      STREAM_ALERT_LEASE_MS: "1500",
      NOTIFY_LEASE_MS: "15000",
      VAPID_PUBLIC_KEY: a.publicKey,
      VAPID_PRIVATE_KEY: b.privateKey,
    });
    expect(run.code).not.toBe(0);
    expect(run.stderr.match(/invalid stream worker configuration/g)).toHaveLength(1);
    expect(run.stderr).toMatch(/STREAM_ALERT_LEASE_MS: must be at least twice/);
    expect(run.stderr).toMatch(/NOTIFY_LEASE_MS: must exceed/);
    expect(run.stderr).toMatch(/VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY do not belong together/);
    expect(run.stderr).not.toContain(b.privateKey);
    expect(run.files).toEqual([]);
  });

  it("leaves the dispatch stage's variables alone when the process does not run it", async () => {
    const run = await start({
      STREAM_STAGES: "aggregate",
      STREAM_ALERT_LEASE_MS: "1500",
      NOTIFY_LEASE_MS: "1000",
    });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/STREAM_ALERT_LEASE_MS: must be at least twice/);
    expect(run.stderr).not.toContain("NOTIFY_LEASE_MS");
    expect(run.files).toEqual([]);
  });
});
