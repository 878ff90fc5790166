/** Child processes of the benchmarks: own process group, stderr passed through, stopped with SIGTERM. */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

export function spawnGroup(
  command: string,
  args: string[],
  env: Record<string, string>,
): ChildProcess {
  const proc = spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    // stdout is read (and dropped) as a log collector would read it: writing logs to a pipe is part
    // of what a request costs.
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  proc.stdout?.resume();
  proc.stderr?.on("data", (chunk: Buffer) => process.stderr.write(chunk));
  return proc;
}

/** SIGTERM to the group; SIGKILL after 10 s; returns at once if the process has already exited. */
export async function stopGroup(proc: ChildProcess) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once("exit", r));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-(proc.pid as number), name);
    } catch {}
  };
  signal("SIGTERM");
  const kill = setTimeout(() => signal("SIGKILL"), 10_000);
  await exited;
  clearTimeout(kill);
}

/** CPU time (user + system, µs) of every process in group `pgid` so far, from /proc; NaN: no group. */
export function groupCpuUs(pgid: number | undefined): number {
  if (pgid === undefined) return Number.NaN;
  let ticks = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    // Fields after the command name (which may hold spaces) start at "state": pgrp is the 3rd of
    // them, utime and stime the 12th and 13th.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(rest[2]) === pgid) ticks += Number(rest[11]) + Number(rest[12]);
  }
  return ticks * 10_000; // Linux USER_HZ = 100
}
