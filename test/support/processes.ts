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
  // The API's own metrics port defaults to 9465: test files run in parallel, so each API gets a free
  // one unless the test names it.
  const metricsPort =
    entry === "api/node.ts" && env.API_METRICS_PORT === undefined
      ? { API_METRICS_PORT: String(await freePort()) }
      : {};
  const proc = spawn(process.execPath, [entry], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: "info", ...metricsPort, ...env, [portVar]: String(port) },
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
        return probeReady(`${url}${options.readyPath ?? "/health/ready"}`);
      },
      { timeoutMs: options.readyTimeoutMs ?? 60_000, intervalMs: 100 },
    );
  } catch (error) {
    await service.stop("SIGKILL");
    throw new Error(`${(error as Error).message}\n--- output ---\n${output.slice(-5000)}`);
  }
  return service;
}

/**
 * True when `url` answers 2xx. Any other answer throws with its status and the start of its body, so a
 * readiness timeout names what was still not ready (say, a stage that has not joined its group)
 * rather than the connection refused before the server listened.
 */
async function probeReady(url: string): Promise<true> {
  const res = await fetch(url);
  if (res.ok) {
    await res.body?.cancel();
    return true;
  }
  const body = (await res.text()).slice(0, 500);
  throw new Error(`${url} answered ${res.status}: ${body}`);
}

export interface CommandProcess {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Runs any command in its own process group (so its children, such as wrangler's workerd, stop with
 * it) and waits until `${url}${readyPath}` answers 2xx.
 */
export async function startCommand(
  command: string,
  args: string[],
  options: { env: Record<string, string>; url: string; readyPath: string; readyTimeoutMs?: number },
): Promise<CommandProcess> {
  const proc = spawn(command, args, {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-200_000);
  };
  proc.stdout?.on("data", append);
  proc.stderr?.on("data", append);
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) =>
    proc.once("exit", () => {
      exited = true;
      resolve();
    }),
  );
  const stop = async () => {
    if (exited) return;
    try {
      process.kill(-(proc.pid as number), "SIGTERM");
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-(proc.pid as number), "SIGKILL");
      } catch {
        // already gone
      }
    }, 5000);
    await exitedPromise;
    clearTimeout(timer);
  };
  try {
    await waitFor(
      `${command} to answer ${options.readyPath}`,
      async () => {
        if (exited) throw new Error(`${command} exited early:\n${output}`);
        return probeReady(`${options.url}${options.readyPath}`);
      },
      { timeoutMs: options.readyTimeoutMs ?? 60_000, intervalMs: 100 },
    );
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- output ---\n${output.slice(-5000)}`);
  }
  return { url: options.url, output: () => output, stop };
}
