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
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
  });
  proc.stderr?.on("data", (chunk: Buffer) => process.stderr.write(chunk));
  return proc;
}

export async function stopGroup(proc: ChildProcess) {
  const exited = new Promise((r) => proc.once("exit", r));
  try {
    process.kill(-(proc.pid as number), "SIGTERM");
  } catch {}
  await exited;
}
