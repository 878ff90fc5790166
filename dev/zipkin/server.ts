/**
 * A local Zipkin server, the trace backend of the dev stack and the tests: the `exec` jar of
 * `io.zipkin:zipkin-server` fetched once from Maven Central through Maven (into the local Maven
 * repository), run with `java -jar` on a loopback port with in-memory storage, under
 * `setpriv --pdeathsig` like the Kafka broker so it never outlives its parent.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type Logger, silentLogger } from "../../core/observability/logger.ts";
import { freePort, isPortOpen, waitFor } from "../net.ts";

const run = promisify(execFile);

export const zipkinVersion = "3.5.1";
const artifact = `io.zipkin:zipkin-server:${zipkinVersion}:jar:exec`;

/** Where Maven keeps the jar (`~/.m2`, or `-Dmaven.repo.local` is not used here). */
export function zipkinJarPath(): string {
  return join(
    homedir(),
    ".m2",
    "repository",
    "io",
    "zipkin",
    "zipkin-server",
    zipkinVersion,
    `zipkin-server-${zipkinVersion}-exec.jar`,
  );
}

/** The exec jar, fetched through Maven on first use. */
export async function resolveZipkinJar(): Promise<{ jar: string; source: "cache" | "maven" }> {
  const jar = zipkinJarPath();
  if (existsSync(jar)) return { jar, source: "cache" };
  try {
    await run(
      "mvn",
      ["-q", "-B", "dependency:get", `-Dartifact=${artifact}`, "-Dtransitive=false"],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    );
  } catch (error) {
    const { stdout, stderr, message } = error as {
      stdout?: string;
      stderr?: string;
      message: string;
    };
    throw new Error(
      `could not fetch ${artifact} through Maven (is 'mvn' installed and Maven Central reachable?): ${message}\n${stdout ?? ""}${stderr ?? ""}`,
    );
  }
  if (!existsSync(jar)) throw new Error(`Maven fetched ${artifact} but ${jar} is missing`);
  return { jar, source: "maven" };
}

export interface ZipkinOptions {
  /** 0 or unset: a free port. */
  port?: number;
  /** Where the server's log goes (`zipkin.log`). */
  logDir: string;
  heapMb?: number;
  startTimeoutMs?: number;
  logger?: Logger;
}

export interface ZipkinServer {
  /** Base URL, e.g. http://127.0.0.1:9411 (UI at /zipkin/, API at /api/v2/). */
  url: string;
  /** Where exporters send spans (Zipkin v2 JSON). */
  spansEndpoint: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

export async function startZipkin(options: ZipkinOptions): Promise<ZipkinServer> {
  const logger = options.logger ?? silentLogger;
  const { jar } = await resolveZipkinJar();
  const port = options.port || (await freePort());
  mkdirSync(options.logDir, { recursive: true });
  const logFile = join(options.logDir, "zipkin.log");
  const javaArgs = [
    `-Xmx${options.heapMb ?? 256}m`,
    "-XX:+UseSerialGC",
    // Starts faster; a dev and test trace store needs no peak throughput.
    "-XX:TieredStopAtLevel=1",
    "-Djava.awt.headless=true",
    "-jar",
    jar,
    // Loopback only (Armeria's port list replaces Zipkin's default of every interface).
    `--armeria.ports[0].ip=127.0.0.1`,
    `--armeria.ports[0].port=${port}`,
    "--armeria.ports[0].protocols[0]=http",
    "--logging.level.root=warn",
  ];
  const started = performance.now();
  const child = spawnZipkin(javaArgs, logFile);
  const pid = child.pid as number;
  let hasExited = false;
  const exited = new Promise<void>((done) =>
    child.once("exit", () => {
      hasExited = true;
      done();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!hasExited) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
    await waitFor("the zipkin port to be released", async () => !(await isPortOpen(port)), {
      timeoutMs: 10_000,
    });
  };
  try {
    await waitFor(
      "zipkin to answer /health",
      async () => {
        if (hasExited) throw new Error("zipkin exited");
        return (await fetch(`${url}/health`)).ok;
      },
      { timeoutMs: options.startTimeoutMs ?? 120_000, intervalMs: 250 },
    );
  } catch (error) {
    await stop().catch(() => {});
    const tail = existsSync(logFile)
      ? readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n")
      : "";
    throw new Error(`zipkin did not become ready: ${(error as Error).message}\n${tail}`);
  }
  logger.info("zipkin ready", { url, pid, startMs: Math.round(performance.now() - started) });
  return { url, spansEndpoint: `${url}/api/v2/spans`, pid, logFile, stop };
}

function spawnZipkin(javaArgs: string[], logFile: string): ChildProcess {
  const out = openSync(logFile, "a");
  try {
    const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].some((p) => existsSync(p));
    const [command, args] = setpriv
      ? ["setpriv", ["--pdeathsig", "TERM", "--", "java", ...javaArgs]]
      : ["java", javaArgs];
    return spawn(command as string, args as string[], {
      stdio: ["ignore", out, out],
      detached: true,
      env: { ...process.env, STORAGE_TYPE: "mem" },
    });
  } finally {
    closeSync(out);
  }
}

/**
 * The launcher's trace backend (`npm start -- --zipkin` or GRIDPULSE_ZIPKIN=true): a Zipkin server
 * and the OTEL_* variables that make the API and the stream worker export to it. Off: nothing starts
 * and the services see the environment as it is.
 */
export async function startLocalTracing(options: {
  enabled: boolean;
  port: number;
  logDir: string;
  logger: Logger;
}): Promise<{ env: Record<string, string>; summary: string[]; stop(): Promise<void> }> {
  if (!options.enabled) return { env: {}, summary: [], stop: async () => {} };
  const zipkin = await startZipkin({
    port: options.port,
    logDir: options.logDir,
    logger: options.logger,
  });
  return {
    env: {
      OTEL_TRACES_EXPORTER: "zipkin",
      OTEL_EXPORTER_ZIPKIN_ENDPOINT: zipkin.spansEndpoint,
      OTEL_BSP_SCHEDULE_DELAY: "1000",
    },
    summary: [`  traces         ${zipkin.url}/zipkin/   (Zipkin, in memory)`],
    stop: zipkin.stop,
  };
}
