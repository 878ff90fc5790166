/**
 * `npm run bench:scrape`: scrape duration and series count of each /metrics endpoint at ~10,000 active
 * series, measured the way Prometheus scrapes (sequential GETs, one at a time):
 *   A. The stream worker (real process, real broker, libSQL file): RequestEvents for enough services and
 *      routes that its latency and SLO gauges reach the target, then `--scrapes` GETs of /metrics.
 *   B. The API's metrics endpoint: the API's route table bounds its label sets (route pattern, method,
 *      status) far below 10,000 series, so the API's registry (createApiMetrics, the same Hono handler
 *      as api/node.ts, served over HTTP) is filled with synthetic label sets up to the target; its
 *      real-process figure at natural cardinality is printed beside it.
 * Then, when Debian's `prometheus` is installed, a real Prometheus scrapes both endpoints every 2 s for
 * 30 s and its own scrape_duration_seconds and scrape_samples_scraped are printed.
 * Flags: --series N (default 10000), --scrapes N (default 50), --only A|B. Starts its own broker unless
 * KAFKA_BROKERS is set.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Hono } from "hono";
import { stringify } from "yaml";
import { createApiMetrics } from "../../api/platform/node/metrics.ts";
import { topicName } from "../../core/events/topics.ts";
import { createLogger } from "../../core/observability/logger.ts";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { createKafka, eventProducer } from "../../platform/kafka.ts";
import { logProcessWarnings } from "../../platform/lifecycle.ts";
import { listen } from "../../platform/serve.ts";
import { startKafkaBroker } from "../kafka/broker.ts";
import { ensureTopics } from "../kafka/topics.ts";
import { freePort, waitFor } from "../net.ts";
import { nodeFlags, streamNodeFlags } from "../node-flags.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const { values } = parseArgs({
  options: {
    series: { type: "string", default: "10000" },
    scrapes: { type: "string", default: "50" },
    only: { type: "string" },
  },
});
const targetSeries = Number(values.series);
const scrapes = Number(values.scrapes);
const run = (part: string) => !values.only || values.only.toUpperCase().includes(part);
const logger = createLogger({ service: "bench-scrape", level: "error" });
logProcessWarnings(logger);

/** Series in an exposition: every sample line. */
const seriesIn = (text: string) =>
  text.split("\n").filter((l) => l !== "" && !l.startsWith("#")).length;

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;

async function measure(name: string, url: string) {
  const durations: number[] = [];
  let bytes = 0;
  let series = 0;
  for (let i = 0; i < scrapes; i++) {
    const started = performance.now();
    const res = await fetch(url, { headers: { Accept: "text/plain;version=0.0.4" } });
    const text = await res.text();
    durations.push(performance.now() - started);
    bytes = Buffer.byteLength(text);
    series = seriesIn(text);
    await new Promise((r) => setTimeout(r, 20));
  }
  durations.sort((a, b) => a - b);
  const line = `${name}: ${series.toLocaleString("en")} series, ${(bytes / 1024).toFixed(0)} KiB; scrape p50 ${pct(durations, 50).toFixed(1)} ms, p99 ${pct(durations, 99).toFixed(1)} ms, max ${(durations.at(-1) as number).toFixed(1)} ms (${scrapes} scrapes)`;
  console.log(line);
  return { series, bytes, p50: pct(durations, 50), p99: pct(durations, 99) };
}

const dataDir = mkdtempSync(join(tmpdir(), "gridpulse-bench-scrape-"));
const targets: { job: string; url: string }[] = [];
const stopAfter: (() => Promise<void>)[] = [];
const children: ChildProcess[] = [];
const cleanup = () => {
  for (const c of children) c.kill("SIGKILL");
};
process.on("exit", cleanup);

if (run("A")) {
  const external = process.env.KAFKA_BROKERS?.split(",").filter(Boolean);
  const broker = external
    ? undefined
    : await startKafkaBroker({ dataDir: join(dataDir, "kafka"), heapMb: 768 });
  const brokers = external ?? (broker as NonNullable<typeof broker>).brokers;
  const kafka = createKafka({ brokers, clientId: "bench-scrape", logger, logLevel: "error" });
  const admin = kafka.admin();
  await admin.connect();
  const prefix = `bench-${randomUUID().slice(0, 6)}.`;
  await ensureTopics(admin, { prefix, partitions: 3 });
  await admin.disconnect();
  const databaseUrl = `file:${join(dataDir, "stream.db")}`;
  const { db, close } = await openDatabase({ url: databaseUrl });
  await applyMigrations(db);
  close();
  const port = await freePort();
  const topRoutes = 10;
  const worker = spawn(process.execPath, [...streamNodeFlags, "stream/main.ts"], {
    cwd: root,
    env: {
      ...process.env,
      KAFKA_BROKERS: brokers.join(","),
      KAFKA_TOPIC_PREFIX: prefix,
      DATABASE_URL: databaseUrl,
      STREAM_PORT: String(port),
      STREAM_LATENCY_GAUGES_INTERVAL_MS: "2000",
      STREAM_LATENCY_TOP_ROUTES: String(topRoutes),
      LOG_LEVEL: "error",
      // kafkajs logs the coordinator warming up as errors; the worker's own errors still show.
      KAFKA_LOG_LEVEL: "silent",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  children.push(worker);
  const url = `http://127.0.0.1:${port}/metrics`;
  await waitFor("the stream worker", async () => (await fetch(url)).ok, { timeoutMs: 60_000 });
  const idle = await measure("stream worker, idle", url);
  // Per service: route "*" and `topRoutes` routes, each 4 windows x (5 quantiles + max) + 4 counts.
  const perService = (topRoutes + 1) * 28;
  const services = Math.ceil((targetSeries - idle.series) / perService);
  const producer = eventProducer(kafka);
  await producer.connect();
  const now = Date.now();
  const messages = [];
  for (let s = 0; s < services; s++)
    for (let r = 0; r < topRoutes; r++)
      for (let i = 0; i < 5; i++)
        messages.push({
          key: `svc-${s}`,
          value: JSON.stringify({
            id: `${s}-${r}-${i}`,
            ts: now - i * 1000,
            service: `svc-${s}`,
            route: `/v1/r${r}/:id`,
            method: "GET",
            status: i === 0 ? 503 : 200,
            durationMs: 3 + ((s * 7 + r * 13 + i) % 200),
          }),
        });
  for (let i = 0; i < messages.length; i += 2000)
    await producer.send({
      topic: topicName(prefix, "requests"),
      messages: messages.slice(i, i + 2000),
    });
  await producer.disconnect();
  let series = 0;
  await waitFor(
    `${targetSeries} series in the stream worker's /metrics`,
    async () => {
      series = seriesIn(await (await fetch(url)).text());
      return series >= targetSeries;
    },
    { timeoutMs: 180_000, intervalMs: 1000 },
  ).catch((e: Error) => {
    throw new Error(`${e.message} (last ${series})`);
  });
  await measure(`stream worker, ${services} services x ${topRoutes + 1} routes`, url);
  targets.push({ job: "stream", url });
  stopAfter.push(async () => {
    worker.kill("SIGTERM");
    await new Promise((r) => worker.once("exit", r));
    await broker?.stop();
  });
}

if (run("B")) {
  // The real API process at its natural cardinality: every route and a few statuses.
  const databaseUrl = `file:${join(dataDir, "api.db")}`;
  const apiPort = await freePort();
  const metricsPort = await freePort();
  const api = spawn(process.execPath, [...nodeFlags, "api/node.ts"], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(apiPort),
      API_METRICS_PORT: String(metricsPort),
      KAFKA_BROKERS: "",
      LOG_LEVEL: "error",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  children.push(api);
  const base = `http://127.0.0.1:${apiPort}`;
  await waitFor("the API", async () => (await fetch(`${base}/health/ready`)).ok, {
    timeoutMs: 60_000,
  });
  for (const path of [
    "/health/live",
    "/health/ready",
    "/v1/slos",
    "/v1/assessments",
    "/v1/x",
    "/openapi.json",
  ])
    for (let i = 0; i < 5; i++) await fetch(`${base}${path}`).then((r) => r.arrayBuffer());
  await measure("API process, natural cardinality", `http://127.0.0.1:${metricsPort}/metrics`);
  api.kill("SIGTERM");
  await new Promise((r) => api.once("exit", r));

  // The API's registry at the target: synthetic (route, method, status) label sets, 16 series each.
  const metrics = createApiMetrics();
  const app = new Hono().get("/metrics", async (c) =>
    c.body(await metrics.registry.metrics(), 200, { "Content-Type": metrics.registry.contentType }),
  );
  const server = await listen(app.fetch, { port: 0, hostname: "127.0.0.1" });
  const url = `${server.url}/metrics`;
  const base0 = seriesIn(await (await fetch(url)).text());
  const statuses = [200, 201, 204, 400, 401, 404, 409, 429, 500, 503];
  const methods = ["GET", "POST", "PUT", "DELETE"];
  const labelSets = Math.ceil((targetSeries - base0) / 16);
  for (let i = 0; i < labelSets; i++) {
    const route = `/v1/resource${Math.floor(i / (statuses.length * methods.length))}/:id`;
    const method = methods[i % methods.length] as string;
    const status = statuses[Math.floor(i / methods.length) % statuses.length] as number;
    metrics.requestMetrics.started();
    metrics.requestMetrics.finished({ route, method, status }, (i % 100) / 1000);
  }
  await measure(`API registry, ${labelSets} label sets`, url);
  targets.push({ job: "api", url });
  stopAfter.push(() => server.close());
}

// What Prometheus itself reports for the same endpoints (Debian's prometheus, when installed).
if (targets.length > 0 && spawnSync("prometheus", ["--version"]).status === 0) {
  const port = await freePort();
  const config = {
    global: { scrape_interval: "2s", scrape_timeout: "2s" },
    scrape_configs: targets.map((t) => {
      const u = new URL(t.url);
      return { job_name: t.job, metrics_path: u.pathname, static_configs: [{ targets: [u.host] }] };
    }),
  };
  writeFileSync(join(dataDir, "prometheus.yml"), stringify(config));
  const prometheus = spawn(
    "prometheus",
    [
      `--config.file=${join(dataDir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dataDir, "prometheus")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=error",
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  children.push(prometheus);
  const api = `http://127.0.0.1:${port}/api/v1/query`;
  const query = async (q: string) =>
    (
      (await (await fetch(`${api}?query=${encodeURIComponent(q)}`)).json()) as {
        data: { result: { metric: { job: string }; value: [number, string] }[] };
      }
    ).data.result;
  await waitFor("Prometheus", async () => (await fetch(`http://127.0.0.1:${port}/-/ready`)).ok, {
    timeoutMs: 30_000,
  });
  const windowS = 30;
  await new Promise((r) => setTimeout(r, windowS * 1000));
  const w = `${windowS}s`;
  const [avg, max, samples] = await Promise.all([
    query(`avg_over_time(scrape_duration_seconds[${w}])`),
    query(`max_over_time(scrape_duration_seconds[${w}])`),
    query("scrape_samples_scraped"),
  ]);
  for (const t of targets) {
    const pick = (r: typeof avg) => Number(r.find((x) => x.metric.job === t.job)?.value[1]);
    console.log(
      `Prometheus scraping ${t.job} every 2 s: ${pick(samples).toLocaleString("en")} samples, scrape_duration_seconds avg ${(pick(avg) * 1000).toFixed(1)} ms, max ${(pick(max) * 1000).toFixed(1)} ms over ${w}`,
    );
  }
  prometheus.kill("SIGTERM");
  await new Promise((r) => prometheus.once("exit", r));
}
for (const stop of stopAfter) await stop();

cleanup();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
