/** Child processes of the benchmarks: own process group, stderr passed through, stopped with SIGTERM. */
import { type ChildProcess, spawn } from "node:child_process";
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
