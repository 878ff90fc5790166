/**
 * Provisions a real single-node Apache Kafka 4.x broker (KRaft, combined broker + controller) on
 * loopback: jars from Maven Central (see classpath.ts), storage formatted on first use, the JVM started
 * under `setpriv --pdeathsig` so it dies with its parent even on SIGKILL, and "ready" meaning the broker
 * serves metadata and its group coordinator answers. `stop()` shuts it down cleanly and frees the ports.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { Kafka, logLevel } from "kafkajs";
import { type Logger, silentLogger } from "../../core/observability/logger.ts";
import { canBind, freePort, isPortOpen, waitFor } from "../net.ts";
import { kafkaDir, kafkaVersion, resolveKafkaClasspath } from "./classpath.ts";

const run = promisify(execFile);

export interface KafkaBrokerOptions {
  /** Holds config, KRaft metadata and logs; reused (not reformatted) across starts. */
  dataDir: string;
  /** Client port; 0 or unset picks a free one (a reused data dir keeps its ports). */
  port?: number;
  heapMb?: number;
  startTimeoutMs?: number;
  cacheDir?: string;
  logger?: Logger;
}

export interface KafkaBroker {
  brokers: string[];
  pid: number;
  dataDir: string;
  logFile: string;
  /** Resolves with the JVM's exit code (null when killed by a signal) when it exits, however. */
  exited: Promise<number | null>;
  timings: {
    classpathMs: number;
    classpathSource: "cache" | "maven";
    formatMs: number;
    startMs: number;
  };
  /** SIGTERM, then SIGKILL after `graceMs` (default 30 s); resolves once its ports are free. */
  stop(graceMs?: number): Promise<void>;
}

interface Ports {
  port: number;
  controllerPort: number;
}

export async function startKafkaBroker(options: KafkaBrokerOptions): Promise<KafkaBroker> {
  const logger = options.logger ?? silentLogger;
  const dataDir = resolve(options.dataDir);
  const logDir = join(dataDir, "logs");
  mkdirSync(logDir, { recursive: true });
  await stopStaleBroker(dataDir, logger);

  const cp = await resolveKafkaClasspath(options.cacheDir);
  logger.info("kafka classpath ready", {
    version: kafkaVersion,
    source: cp.source,
    durationMs: Math.round(cp.durationMs),
  });

  const javaArgs = [
    `-Xms${Math.min(256, options.heapMb ?? 768)}m`,
    `-Xmx${options.heapMb ?? 768}m`,
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-Djava.awt.headless=true",
    `-Dlog4j2.configurationFile=${join(kafkaDir, "log4j2.properties")}`,
    `-Dkafka.logs.dir=${dataDir}`,
    "-cp",
    cp.classpath,
  ];
  const configFile = join(dataDir, "server.properties");
  const logFile = join(dataDir, "broker.log");

  // A port found free can be taken before the JVM binds it (by another test's listener, or as the
  // local port of an outgoing connection). A broker formatted by this call may then start over on
  // other ports; one whose data dir was formatted earlier keeps its ports (see choosePorts).
  for (let attempt = 1; ; attempt++) {
    const ports = await choosePorts(dataDir, options.port ?? 0);
    writeFileSync(configFile, serverProperties(logDir, ports));

    const formatStarted = performance.now();
    const formatted = !existsSync(join(logDir, "meta.properties"));
    if (formatted) {
      // A leading "-" would be read as an option by the storage tool: start with a letter instead.
      const clusterId = `g${randomBytes(16).toString("base64url").slice(1)}`;
      await run("java", [
        ...javaArgs,
        "kafka.tools.StorageTool",
        "format",
        "--standalone",
        "-t",
        clusterId,
        "-c",
        configFile,
      ]);
      logger.info("kafka storage formatted", { dataDir, clusterId });
    }
    const formatMs = performance.now() - formatStarted;

    const logStart = existsSync(logFile) ? statSync(logFile).size : 0;
    const started = performance.now();
    const broker = launch(javaArgs, configFile, logFile, dataDir, ports, logger);
    try {
      await waitUntilServing(broker.brokers, options.startTimeoutMs ?? 90_000, broker.exitSignal);
    } catch (error) {
      await broker.stop().catch(() => {});
      const output = readFileSync(logFile, "utf8").slice(logStart);
      if (formatted && attempt < 3 && /BindException|Address already in use/.test(output)) {
        logger.warn("kafka ports were taken before the broker bound them; trying other ports", {
          ...ports,
          attempt,
        });
        rmSync(logDir, { recursive: true, force: true });
        mkdirSync(logDir, { recursive: true });
        rmSync(join(dataDir, "ports.json"), { force: true });
        continue;
      }
      throw new Error(
        `kafka broker did not become ready: ${(error as Error).message}\n--- ${logFile} (tail) ---\n${tail(logFile, 30)}`,
      );
    }
    const startMs = performance.now() - started;
    logger.info("kafka broker ready", {
      brokers: broker.brokers,
      pid: broker.pid,
      startMs: Math.round(startMs),
    });
    return {
      brokers: broker.brokers,
      pid: broker.pid,
      dataDir,
      logFile,
      exited: broker.exited,
      timings: { classpathMs: cp.durationMs, classpathSource: cp.source, formatMs, startMs },
      stop: broker.stop,
    };
  }
}

/** Spawns the broker on a written config; `stop` waits until both its ports are released. */
function launch(
  javaArgs: string[],
  configFile: string,
  logFile: string,
  dataDir: string,
  ports: Ports,
  logger: Logger,
) {
  const child = spawnBroker(javaArgs, configFile, logFile);
  const pid = child.pid as number;
  writeFileSync(join(dataDir, "broker.pid"), String(pid));
  const exitController = new AbortController();
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  void exited.then((code) => {
    exitController.abort(new Error(`the broker process exited (code ${code})`));
  });

  const stop = async (graceMs = 30_000) => {
    // A broker that exited by itself holds no port (one it failed to bind may be someone else's).
    const running = !exitController.signal.aborted;
    if (running) {
      child.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const clean = await Promise.race([
        exited.then(() => true),
        new Promise<boolean>((done) => {
          timer = setTimeout(() => done(false), graceMs);
        }),
      ]);
      clearTimeout(timer);
      if (!clean) {
        logger.warn("kafka broker did not stop in time; killing it", { pid, graceMs });
        child.kill("SIGKILL");
        await exited;
      }
    }
    rmSync(join(dataDir, "broker.pid"), { force: true });
    if (!running) return;
    await waitFor(
      "kafka ports to be released",
      async () => !(await isPortOpen(ports.port)) && !(await isPortOpen(ports.controllerPort)),
      {
        timeoutMs: 10_000,
      },
    );
  };
  return {
    brokers: [`127.0.0.1:${ports.port}`],
    pid,
    exited,
    exitSignal: exitController.signal,
    stop,
  };
}

function spawnBroker(javaArgs: string[], configFile: string, logFile: string): ChildProcess {
  const out = openSync(logFile, "a");
  try {
    // setpriv makes the kernel send SIGTERM to the JVM when this process dies, however it dies:
    // no orphan brokers after a crash or a kill -9 of the launcher or the test runner.
    const [command, args] = hasSetpriv()
      ? ["setpriv", ["--pdeathsig", "TERM", "--", "java", ...javaArgs, "kafka.Kafka", configFile]]
      : ["java", [...javaArgs, "kafka.Kafka", configFile]];
    // Its own process group: a Ctrl-C in the terminal reaches the launcher only, which stops the
    // broker last, after the services have committed their work.
    return spawn(command as string, args as string[], {
      stdio: ["ignore", out, out],
      detached: true,
    });
  } finally {
    closeSync(out);
  }
}

let setprivAvailable: boolean | undefined;
function hasSetpriv(): boolean {
  setprivAvailable ??= ["/usr/bin/setpriv", "/bin/setpriv"].some((p) => existsSync(p));
  return setprivAvailable;
}

async function waitUntilServing(brokers: string[], timeoutMs: number, exited: AbortSignal) {
  const kafka = new Kafka({
    clientId: "gridpulse-provisioner",
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await waitFor(
      "the broker to serve metadata",
      async () => {
        await admin.connect();
        const cluster = await admin.describeCluster();
        return cluster.brokers.length > 0;
      },
      { timeoutMs, intervalMs: 200, signal: exited },
    );
    // The first group request creates __consumer_offsets and the first idempotent producer
    // __transaction_state; wait until both coordinators have loaded so the services do not start
    // with seconds of "coordinator not available" retries.
    await waitFor(
      "the group coordinator",
      async () => {
        const { groups } = await admin.describeGroups(["gridpulse-provisioner-warmup"]);
        return groups.length === 1;
      },
      { timeoutMs, intervalMs: 200, signal: exited },
    );
    const producer = kafka.producer({
      idempotent: true,
      retry: { retries: 30, maxRetryTime: 1000 },
    });
    await producer.connect();
    await producer.disconnect();
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function choosePorts(dataDir: string, requested: number): Promise<Ports> {
  const file = join(dataDir, "ports.json");
  const formatted = existsSync(join(dataDir, "logs", "meta.properties"));
  if (formatted && existsSync(file)) {
    // KRaft stores the controller's endpoint in its voter set: a formatted data dir keeps its ports.
    return JSON.parse(readFileSync(file, "utf8")) as Ports;
  }
  const port = requested || (await freePort());
  if (!(await canBind(port)))
    throw new Error(`port ${port} on 127.0.0.1 is in use; choose another with KAFKA_LOCAL_PORT`);
  // The controller listens next to a chosen client port when that one is free, else anywhere.
  let controllerPort =
    requested && (await canBind(requested + 1)) ? requested + 1 : await freePort();
  while (controllerPort === port) controllerPort = await freePort();
  const ports = { port, controllerPort };
  writeFileSync(file, JSON.stringify(ports));
  return ports;
}

function serverProperties(logDir: string, ports: Ports): string {
  return `# Written by gridpulse (dev/kafka/broker.ts) on each start.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:${ports.controllerPort}
listeners=PLAINTEXT://127.0.0.1:${ports.port},CONTROLLER://127.0.0.1:${ports.controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${ports.port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${logDir}
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=5
share.coordinator.state.topic.replication.factor=1
group.initial.rebalance.delay.ms=0
# Local and test clusters only: lets consumers use short sessions, so a killed member is replaced fast.
group.min.session.timeout.ms=1000
log.retention.hours=168
log.segment.bytes=268435456
`;
}

/** A broker left running by a crashed launcher holds the data dir's lock: stop it first. */
async function stopStaleBroker(dataDir: string, logger: Logger) {
  const pidFile = join(dataDir, "broker.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8"));
  let cmdline = "";
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    // not running any more
  }
  if (pid > 0 && cmdline.includes("kafka.Kafka") && cmdline.includes(dataDir)) {
    logger.warn("stopping a kafka broker left running on this data dir", { pid, dataDir });
    process.kill(pid, "SIGTERM");
    await waitFor("the stale broker to exit", async () => !existsSync(`/proc/${pid}`), {
      timeoutMs: 30_000,
    }).catch(() => {
      process.kill(pid, "SIGKILL");
    });
  }
  rmSync(pidFile, { force: true });
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
