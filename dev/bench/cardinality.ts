/**
 * `npm run bench:cardinality`: one service sending a flood of distinct routes through the whole
 * stack (broker, stream worker with its default stages, API on Node, one libSQL file), as a hostile or
 * broken producer would. Prints the worker's peak resident memory, its consumer-group rejoins and
 * crashes, the number of stored series of the service, the time of `GET /v1/latency` on it, and the
 * latency of `/health/live` probes (API and worker, every 50 ms from a separate thread) while the
 * routes stream in and while the latency query runs.
 * Flags: --routes N (default 100,000 distinct routes, one event each), --session-timeout MS (10,000).
 * Starts its own broker unless KAFKA_BROKERS is set.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { sql } from "drizzle-orm";
import { topicName } from "../../core/events/topics.ts";
import { createLogger } from "../../core/observability/logger.ts";
import { createTenantWithAdminKey } from "../../core/tenants/tenants.service.ts";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { createKafka, eventProducer } from "../../platform/kafka.ts";
import { startKafkaBroker } from "../kafka/broker.ts";
import { ensureTopics } from "../kafka/topics.ts";
import { freePort, waitFor } from "../net.ts";
import { nodeFlagsFor } from "../node-flags.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const { values } = parseArgs({
  options: {
    routes: { type: "string", default: "100000" },
    "session-timeout": { type: "string", default: "10000" },
  },
});
const routes = Number(values.routes);
const logger = createLogger({ service: "bench-cardinality", level: "error" });
const dataDir = mkdtempSync(join(tmpdir(), "gridpulse-bench-cardinality-"));
const external = process.env.KAFKA_BROKERS?.split(",").filter(Boolean);
const broker = external
  ? undefined
  : await startKafkaBroker({ dataDir: join(dataDir, "kafka"), heapMb: 768 });
const brokers = external ?? (broker as NonNullable<typeof broker>).brokers;
const kafka = createKafka({ brokers, clientId: "bench", logger, logLevel: "error" });
const prefix = `card-${randomUUID().slice(0, 6)}.`;
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, { prefix, partitions: 3 });
await admin.disconnect();

const databaseUrl = `file:${join(dataDir, "card.db")}`;
{
  const { db, close } = await openDatabase({ url: databaseUrl });
  await applyMigrations(db);
  close();
}
const { db: setupDb, close: closeSetup } = await openDatabase({ url: databaseUrl });
const { apiKey } = await createTenantWithAdminKey(setupDb, { name: "bench", nowMs: Date.now() });
closeSetup();

function start(entry: string, env: Record<string, string>) {
  let output = "";
  const proc: ChildProcess = spawn(process.execPath, [...nodeFlagsFor(entry), entry], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const keep = (d: Buffer) => {
    output += d.toString();
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  return { proc, output: () => output };
}

const [streamPort, apiPort] = [await freePort(), await freePort()];
const worker = start("stream/main.ts", {
  KAFKA_BROKERS: brokers.join(","),
  KAFKA_TOPIC_PREFIX: prefix,
  STREAM_CONSUMER_GROUP: `card-${prefix}`,
  DATABASE_URL: databaseUrl,
  STREAM_PORT: String(streamPort),
  STREAM_SESSION_TIMEOUT_MS: String(values["session-timeout"]),
});
const api = start("api/node.ts", {
  DATABASE_URL: databaseUrl,
  PORT: String(apiPort),
  API_METRICS_PORT: String(await freePort()),
  KAFKA_BROKERS: "",
  LOG_LEVEL: "error",
});
const streamUrl = `http://127.0.0.1:${streamPort}`;
const apiUrl = `http://127.0.0.1:${apiPort}`;
await waitFor(
  "services",
  async () =>
    (await fetch(`${streamUrl}/health/ready`)).ok && (await fetch(`${apiUrl}/health/ready`)).ok,
  { timeoutMs: 60_000 },
);
const joinsAtStart = () => (worker.output().match(/stage joined/g) ?? []).length;
await waitFor("consumers to join", async () => joinsAtStart() >= 3, { timeoutMs: 60_000 });
const initialJoins = joinsAtStart();
const peakRssMb = () =>
  Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${worker.proc.pid}/status`, "utf8"))?.[1] ?? 0) /
  1024;
const idleRss = peakRssMb();

// Probes from their own thread (their own event loop): the time of each GET /health/live, by phase.
const prober = new Worker(
  `const { parentPort, workerData } = require("node:worker_threads");
   let phase = "ingest"; const out = [];
   parentPort.on("message", (m) => { if (m === "stop") { parentPort.postMessage(out); process.exit(0); } else phase = m; });
   const probe = async (name, url) => {
     const t0 = performance.now();
     try { const r = await fetch(url); await r.text(); out.push([phase, name, performance.now() - t0, r.status]); }
     catch { out.push([phase, name, performance.now() - t0, 0]); }
   };
   setInterval(() => { void probe("api", workerData.api); void probe("stream", workerData.stream); }, 50);`,
  { eval: true, workerData: { api: `${apiUrl}/health/live`, stream: `${streamUrl}/health/live` } },
);

const service = "wide";
const producer = eventProducer(kafka);
await producer.connect();
const started = performance.now();
const base = Date.now();
for (let i = 0; i < routes; i += 2000) {
  await producer.send({
    topic: topicName(prefix, "requests"),
    messages: Array.from({ length: Math.min(2000, routes - i) }, (_, j) => ({
      key: service,
      value: JSON.stringify({
        id: `w${i + j}`,
        ts: base + Math.floor((i + j) / 100),
        service,
        route: `/r/${i + j}`,
        method: "GET",
        status: 200,
        durationMs: 1 + ((i + j) % 500),
      }),
    })),
  });
}
await producer.disconnect();

const stored = async () => {
  const { db, close } = await openDatabase({ url: databaseUrl });
  try {
    const row = await db.run(
      sql`select coalesce(sum(total), 0) as t, count(distinct route) as r from request_minutes where service = ${service}`,
    );
    return { total: Number(row.rows[0]?.t ?? 0), series: Number(row.rows[0]?.r ?? 0) };
  } finally {
    close();
  }
};
let last = { total: 0, series: 0 };
await waitFor(
  "every event stored",
  async () => {
    last = await stored();
    return last.total >= routes;
  },
  { timeoutMs: 1_200_000, intervalMs: 2000 },
).catch((e: Error) => console.error(`${e.message} (${last.total} of ${routes})`));
const ingestS = (performance.now() - started) / 1000;

prober.postMessage("query");
await new Promise((r) => setTimeout(r, 200));
const q0 = performance.now();
const latency = await fetch(`${apiUrl}/v1/latency?service=${service}`, {
  headers: { Authorization: `Bearer ${apiKey.key}` },
});
const latencyBody = (await latency.json()) as { count?: number; error?: { code: string } };
const queryMs = performance.now() - q0;
await new Promise((r) => setTimeout(r, 200));
const probes = await new Promise<[string, string, number, number][]>((resolve) => {
  prober.once("message", resolve);
  prober.postMessage("stop");
});
const peak = peakRssMb();
const rejoins = joinsAtStart() - initialJoins;
const crashes = (worker.output().match(/consumer crashed/g) ?? []).length;
worker.proc.kill("SIGTERM");
api.proc.kill("SIGTERM");
await Promise.all([worker.proc, api.proc].map((p) => new Promise((r) => p.once("exit", r))));
await broker?.stop();
rmSync(dataDir, { recursive: true, force: true });

const q = (xs: number[], p: number) =>
  xs.length === 0
    ? Number.NaN
    : ([...xs].sort((a, b) => a - b)[
        Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)
      ] as number);
const health = (phase: string, name: string) => {
  const xs = probes.filter((p) => p[0] === phase && p[1] === name);
  const ms = xs.map((p) => p[2]);
  const failed = xs.filter((p) => p[3] !== 200).length;
  return `n ${xs.length}, p50 ${q(ms, 0.5).toFixed(1)} ms, p99 ${q(ms, 0.99).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms${failed ? `, ${failed} failed` : ""}`;
};
console.table([
  { measure: "routes sent (one event each)", value: routes },
  { measure: "time until every event was stored", value: `${ingestS.toFixed(1)} s` },
  {
    measure: "stored events / distinct series of the service",
    value: `${last.total} / ${last.series}`,
  },
  {
    measure: "stream worker RSS idle -> peak",
    value: `${Math.round(idleRss)} -> ${Math.round(peak)} MB`,
  },
  { measure: "consumer group rejoins / crashes", value: `${rejoins} / ${crashes}` },
  {
    measure: "GET /v1/latency?service (1 h)",
    value: `${Math.round(queryMs)} ms, ${latency.status} ${latencyBody.count ?? latencyBody.error?.code}`,
  },
  { measure: "API /health/live during ingest", value: health("ingest", "api") },
  { measure: "stream /health/live during ingest", value: health("ingest", "stream") },
  { measure: "API /health/live during the latency query", value: health("query", "api") },
]);
