/**
 * The launcher's supervision of the services, against the test run's Kafka broker (KAFKA_BROKERS set,
 * so no local broker): an API or stream worker killed with `kill -9` is restarted and ready again,
 * with a log line per restart; a service that cannot start makes the launcher back off, then give
 * up with a clear message and exit 1, leaving nothing behind.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import type { StackState } from "../../dev/config.ts";
import { freePort, waitFor } from "../../dev/net.ts";
import { brokers, createTopics, testKafka, uniquePrefix } from "../support/kafka.ts";
import { repoRoot, type ServiceProcess, startService } from "../support/processes.ts";

const dirs: string[] = [];
const stacks: ServiceProcess[] = [];
afterAll(async () => {
  for (const stack of stacks) await stack.stop("SIGKILL");
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function stackEnv() {
  const dataDir = mkdtempSync(join(tmpdir(), "gridpulse-launcher-"));
  dirs.push(dataDir);
  const prefix = uniquePrefix();
  return {
    dataDir,
    env: {
      GRIDPULSE_DATA_DIR: dataDir,
      STREAM_PORT: String(await freePort()),
      API_METRICS_PORT: String(await freePort()),
      KAFKA_BROKERS: brokers().join(","),
      KAFKA_TOPIC_PREFIX: prefix,
      STREAM_CONSUMER_GROUP: `g-${prefix}`,
      DATABASE_URL: "",
      LAUNCHER_RESTART_BACKOFF_MS: "100",
    },
    prefix,
  };
}

const messages = (output: string, msg: string) =>
  output
    .split("\n")
    .filter((line) => line.startsWith("{") && line.includes(`"msg":"${msg}"`))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

it("restarts an API and a stream worker killed with kill -9", async () => {
  const { dataDir, env, prefix } = await stackEnv();
  await createTopics(testKafka(), prefix);
  const stack = await startService("dev/start.ts", env, { readyTimeoutMs: 120_000 });
  stacks.push(stack);
  await waitFor("the ready banner", async () => stack.output().includes("gridpulse is ready"), {
    timeoutMs: 60_000,
  });
  const state = JSON.parse(readFileSync(join(dataDir, "local-stack.json"), "utf8")) as StackState;

  for (const [name, url] of [
    ["api", state.apiUrl],
    ["stream", state.streamUrl],
  ] as const) {
    const pid = messages(stack.output(), `${name} started`)[0]?.pid as number;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, "SIGKILL");
    const restarted = await waitFor(
      `the launcher to restart the ${name}`,
      async () => messages(stack.output(), `${name} restarted`)[0],
      { timeoutMs: 30_000 },
    );
    expect(restarted).toMatchObject({ name, restart: 1 });
    expect(messages(stack.output(), `${name} exited unexpectedly; restarting`)[0]).toMatchObject({
      how: "signal SIGKILL",
      delayMs: 100,
    });
    await waitFor(
      `${name} readiness`,
      async () => (await fetch(`${url}/health/ready`).catch(() => null))?.status === 200,
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const [first, second] = messages(stack.output(), `${name} started`);
    expect(second?.pid).not.toBe(first?.pid);
    expect(existsSync(`/proc/${first?.pid}`)).toBe(false);
  }
  expect(await stack.stop("SIGTERM")).toBe(0);
});

it("gives up with a clear message and exit code 1 when a service keeps crashing at start", async () => {
  const { env } = await stackEnv();
  const proc = spawn(process.execPath, ["dev/start.ts"], {
    cwd: repoRoot,
    env: {
      ...process.env,
      ...env,
      PORT: String(await freePort()),
      // Valid for the launcher, refused by the stream worker's own settings: it exits at once.
      STREAM_STAGES: "no-such-stage",
      LAUNCHER_RESTART_MAX_CRASHES: "3",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  proc.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  proc.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => proc.once("exit", resolve));
  expect(code, output.slice(-3000)).toBe(1);
  const restarts = messages(output, "stream exited unexpectedly; restarting");
  expect(restarts.map((r) => r.delayMs)).toEqual([100, 200]);
  expect(messages(output, "stream keeps crashing; giving up")).toHaveLength(1);
  expect(output).toMatch(/stream crashed 3 times in a row, each within 60000 ms of its start/);
  expect(output).toContain("gridpulse stopped");
});
