/**
 * The local broker provisioning itself: a real KRaft broker serves metadata, topics are created with
 * the configured partition count, a restart reuses data and ports, stop() leaves no process and no
 * listening port, and the JVM never outlives a parent that was killed with SIGKILL. A port taken
 * between being chosen and being bound (another listener, or an outgoing connection's local port)
 * makes a fresh broker start over on other ports, without waiting out its start timeout.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { allTopicNames } from "../../core/events/topics.ts";
import { createLogger, silentLogger } from "../../core/observability/logger.ts";
import { startKafkaBroker } from "../../dev/kafka/broker.ts";
import { ensureTopics } from "../../dev/kafka/topics.ts";
import { canBind, isPortOpen, waitFor } from "../../dev/net.ts";
import { createKafka } from "../../platform/kafka.ts";
import { repoRoot } from "../support/processes.ts";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "gridpulse-broker-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const portOf = (brokers: string[]) => Number(brokers[0]?.split(":")[1]);

describe("local Kafka broker", () => {
  it("serves metadata, creates topics, restarts on its data and stops without leftovers", async () => {
    const dataDir = tempDir();
    const broker = await startKafkaBroker({ dataDir, heapMb: 512 });
    const port = portOf(broker.brokers);
    const kafka = createKafka({
      brokers: broker.brokers,
      clientId: "t",
      logger: silentLogger,
      logLevel: "silent",
    });
    const admin = kafka.admin();
    await admin.connect();
    const created = await ensureTopics(admin, { prefix: "p.", partitions: 2 });
    expect(created.sort()).toEqual(allTopicNames("p.").sort());
    expect(await ensureTopics(admin, { prefix: "p.", partitions: 2 })).toEqual([]);
    const metadata = await admin.fetchTopicMetadata({ topics: ["p.telemetry.requests.v1"] });
    expect(metadata.topics[0]?.partitions).toHaveLength(2);
    await admin.disconnect();

    await broker.stop();
    expect(existsSync(`/proc/${broker.pid}`)).toBe(false);
    expect(await isPortOpen(port)).toBe(false);

    const again = await startKafkaBroker({ dataDir, heapMb: 512 });
    try {
      expect(again.brokers).toEqual(broker.brokers);
      expect(again.timings.formatMs).toBeLessThan(100); // not formatted again
      const admin2 = createKafka({
        brokers: again.brokers,
        clientId: "t",
        logger: silentLogger,
        logLevel: "silent",
      }).admin();
      await admin2.connect();
      expect(await admin2.listTopics()).toEqual(expect.arrayContaining(allTopicNames("p.")));
      await admin2.disconnect();
    } finally {
      await again.stop();
    }
    expect(await isPortOpen(port)).toBe(false);
  });

  it("starts over on other ports when its controller port is taken before the JVM binds it", async () => {
    const dataDir = tempDir();
    const portsFile = join(dataDir, "ports.json");
    const lines: string[] = [];
    const logger = createLogger({
      service: "t",
      level: "info",
      writer: (_level, line) => lines.push(line),
    });
    const starting = startKafkaBroker({ dataDir, heapMb: 512, logger });
    // ports.json is written before the storage format, a JVM run of its own: seconds before the
    // broker binds. Take the controller port in that window, as a racing process would.
    const chosen = await waitFor(
      "the chosen ports",
      async () =>
        existsSync(portsFile) &&
        (JSON.parse(readFileSync(portsFile, "utf8")) as { port: number; controllerPort: number }),
      { timeoutMs: 60_000, intervalMs: 5 },
    );
    const squatter: Server = createServer();
    await new Promise<void>((done) => squatter.listen(chosen.controllerPort, "127.0.0.1", done));
    try {
      const broker = await starting;
      try {
        const ports = JSON.parse(readFileSync(portsFile, "utf8")) as typeof chosen;
        expect(ports.controllerPort).not.toBe(chosen.controllerPort);
        expect(broker.brokers).toEqual([`127.0.0.1:${ports.port}`]);
        const retried = lines
          .map((line) => JSON.parse(line) as { msg: string; controllerPort?: number })
          .find((entry) => entry.msg.startsWith("kafka ports were taken"));
        expect(retried?.controllerPort).toBe(chosen.controllerPort);
        const admin = createKafka({
          brokers: broker.brokers,
          clientId: "t",
          logger: silentLogger,
          logLevel: "silent",
        }).admin();
        await admin.connect();
        expect((await admin.describeCluster()).brokers).toHaveLength(1);
        await admin.disconnect();
      } finally {
        await broker.stop();
      }
    } finally {
      await new Promise((done) => squatter.close(done));
    }
    expect(await canBind(chosen.controllerPort)).toBe(true);
  });

  it("does not outlive a parent killed with SIGKILL", async () => {
    const dataDir = tempDir();
    const child = spawn(process.execPath, ["test/support/broker-child.ts", dataDir], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const info = await new Promise<{ pid: number; brokers: string[] }>((resolve, reject) => {
      let out = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const line = out.split("\n").find((l) => l.startsWith("{"));
        if (line) resolve(JSON.parse(line));
      });
      child.once("exit", (code) => reject(new Error(`broker child exited with ${code}`)));
    });
    expect(existsSync(`/proc/${info.pid}`)).toBe(true);
    child.kill("SIGKILL");
    await waitFor("the orphaned JVM to exit", async () => !existsSync(`/proc/${info.pid}`), {
      timeoutMs: 30_000,
    });
    await waitFor(
      "the broker port to close",
      async () => !(await isPortOpen(portOf(info.brokers))),
      {
        timeoutMs: 10_000,
      },
    );
  });
});
