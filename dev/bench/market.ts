/**
 * `node dev/bench/market.ts [--events N]`: throughput of the market stage. Publishes N synthetic
 * market events (dev/loadgen/market.ts: ~97% prices over 24 carrier/region series, some subsidies and
 * regulations) to `market.events.v1` (3 partitions), then starts a stream worker running only the
 * market stage and times it from joining its group to the last event stored in libSQL (history,
 * latest prices, programs and offsets per batch in one transaction). Reports events/s, the worker's
 * CPU seconds and peak RSS. Starts its own broker unless KAFKA_BROKERS is set.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { count } from "drizzle-orm";
import { marketEvents } from "../../core/db/schema/index.ts";
import { topicName } from "../../core/events/topics.ts";
import { createLogger } from "../../core/observability/logger.ts";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { createKafka, eventProducer } from "../../platform/kafka.ts";
import { startKafkaBroker } from "../kafka/broker.ts";
import { ensureTopics } from "../kafka/topics.ts";
import { createMarketTraffic } from "../loadgen/market.ts";
import { freePort, waitFor } from "../net.ts";
import { streamNodeFlags } from "../node-flags.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const { values } = parseArgs({ options: { events: { type: "string", default: "100000" } } });
const total = Number(values.events);
const logger = createLogger({ service: "bench-market", level: "error" });
const dataDir = mkdtempSync(join(tmpdir(), "gridpulse-bench-market-"));
const external = process.env.KAFKA_BROKERS?.split(",").filter(Boolean);
const broker = external
  ? undefined
  : await startKafkaBroker({ dataDir: join(dataDir, "kafka"), heapMb: 512 });
const brokers = external ?? (broker as NonNullable<typeof broker>).brokers;
const kafka = createKafka({ brokers, clientId: "bench-market", logger, logLevel: "error" });

const prefix = `bench-${randomUUID().slice(0, 6)}.`;
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, { prefix, partitions: 3 });
await admin.disconnect();
const topic = topicName(prefix, "market");

const next = createMarketTraffic(2026);
const startMs = Date.now() - total;
const producer = eventProducer(kafka);
await producer.connect();
for (let i = 0; i < total; i += 2000) {
  await producer.send({
    topic,
    messages: Array.from({ length: Math.min(2000, total - i) }, (_, j) => {
      const { key, event } = next(startMs + i + j);
      return { key, value: JSON.stringify(event) };
    }),
  });
}
await producer.disconnect();

const databaseUrl = `file:${join(dataDir, "market.db")}`;
const { db, close } = await openDatabase({ url: databaseUrl });
await applyMigrations(db);
const port = await freePort();
const worker = spawn(process.execPath, [...streamNodeFlags, "stream/main.ts"], {
  cwd: root,
  env: {
    ...process.env,
    KAFKA_BROKERS: brokers.join(","),
    KAFKA_TOPIC_PREFIX: prefix,
    STREAM_STAGES: "market",
    STREAM_PORT: String(port),
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: "error",
  },
  stdio: ["ignore", "ignore", "inherit"],
});
const url = `http://127.0.0.1:${port}`;
const cpuSeconds = async () => {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^process_cpu_seconds_total (\S+)/m.exec(text)?.[1] ?? 0);
};
await waitFor("the market stage to join", async () => (await fetch(`${url}/health/ready`)).ok, {
  timeoutMs: 60_000,
  intervalMs: 20,
});
const cpuBefore = await cpuSeconds();
const started = performance.now();
const stored = async () => (await db.select({ n: count() }).from(marketEvents).get())?.n ?? 0;
await waitFor("every event stored", async () => (await stored()) === total, {
  timeoutMs: 600_000,
  intervalMs: 20,
});
const seconds = (performance.now() - started) / 1000;
const cpu = (await cpuSeconds()) - cpuBefore;
const peakRssMb =
  Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${worker.pid}/status`, "utf8"))?.[1] ?? 0) /
  1024;
worker.kill("SIGTERM");
await new Promise((resolve) => worker.once("exit", resolve));
close();
await broker?.stop();
rmSync(dataDir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    events: total,
    seconds: Number(seconds.toFixed(2)),
    eventsPerS: Math.round(total / seconds),
    workerCpuSeconds: Number(cpu.toFixed(2)),
    cpuCoresBusy: Number((cpu / seconds).toFixed(2)),
    peakRssMb: Math.round(peakRssMb),
  }),
);
