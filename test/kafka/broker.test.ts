/**
 * The local broker provisioning itself: a real KRaft broker serves metadata, topics are created with
 * the configured partition count, a restart reuses data and ports, stop() leaves no process and no
 * listening port, and the JVM never outlives a parent that was killed with SIGKILL.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { allTopicNames } from "../../core/events/topics.ts";
import { silentLogger } from "../../core/observability/logger.ts";
import { startKafkaBroker } from "../../dev/kafka/broker.ts";
import { ensureTopics } from "../../dev/kafka/topics.ts";
import { isPortOpen, waitFor } from "../../dev/net.ts";
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
