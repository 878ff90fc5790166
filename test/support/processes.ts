/**
 * Runs gridpulse's real entry points (stream worker, API, launcher) as child processes for integration
 * tests, with free ports, and stops them with a signal to observe how they exit.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort, waitFor } from "../../dev/net.ts";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface ServiceProcess {
  url: string;
  proc: ChildProcess;
  output(): string;
  /** Sends `signal` and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export async function startService(
  entry: "api/node.ts" | "stream/main.ts" | "dev/start.ts",
  env: Record<string, string>,
  options: { portVar?: string; readyPath?: string; readyTimeoutMs?: number; port?: number } = {},
): Promise<ServiceProcess> {
  const port = options.port ?? (await freePort());
  const portVar = options.portVar ?? (entry === "stream/main.ts" ? "STREAM_PORT" : "PORT");
  const proc = spawn(process.execPath, [entry], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: "info", ...env, [portVar]: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-200_000);
  };
  proc.stdout?.on("data", append);
  proc.stderr?.on("data", append);
  const exited = new Promise<number | null>((resolve) =>
    proc.once("exit", (code) => resolve(code)),
  );
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  const url = `http://127.0.0.1:${port}`;
  const service: ServiceProcess = {
    url,
    proc,
    output: () => output,
    exited,
    stop: async (signal = "SIGTERM") => {
      if (!hasExited) proc.kill(signal);
      return exited;
    },
  };
  try {
    await waitFor(
      `${entry} to be ready`,
      async () => {
        if (hasExited) throw new Error(`${entry} exited early:\n${output}`);
        const res = await fetch(`${url}${options.readyPath ?? "/health/ready"}`);
        return res.ok;
      },
      { timeoutMs: options.readyTimeoutMs ?? 60_000, intervalMs: 100 },
    );
  } catch (error) {
    await service.stop("SIGKILL");
    throw new Error(`${(error as Error).message}\n--- output ---\n${output.slice(-5000)}`);
  }
  return service;
}
