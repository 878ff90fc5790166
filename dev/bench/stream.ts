/**
 * `npm run bench:stream`: the stream worker's figures, each measured in one run on this machine.
 *   A. Throughput: events/s through stage 1 (decode, validate, aggregate, one Kafka transaction per
 *      partition per commit interval) from the real broker, next to a raw kafkajs consumer that only
 *      decodes the same topic; stage 1 once more with a transaction per fetch (no commit interval).
 *   B. Resident memory of a worker running both stages over 10,000 active (service, route) series.
 *   C. Time from an event's production to the updated burn rate in /metrics and in
 *      GET /v1/slos/:id/status (p50/p99 over repeated bursts).
 *   D. Stage 2's write path alone (no broker): partials applied to a libSQL file by the window store
 *      in stage 2's slices of 250 (merge with the stored minute and hour, upserts and offset in one
 *      transaction), --series series per round: partials/s, rows written/s, CPU per partial.
 *      Stage 1 runs at the default fetch size (2 MiB per partition) and once more at the raw
 *      consumer's (8 MiB; STREAM_FETCH_MAX_BYTES_PER_PARTITION).
 * Flags: --events N (A, default 1,000,000), --rounds N (A: raw and stage 1 alternate N times, medians
 * reported; default 3), --series-events N (B, default 500,000), --bursts N (C, 10),
 * --only A|B|C. Starts its own broker unless KAFKA_BROKERS is set. --trace (with A): stage 1 runs a
 * second time over the same events with trace export on (OpenTelemetry SDK in this process, spans to
 * a local Zipkin, dev/zipkin; the load's 30 % sampled traceparents continued), and the ratio is printed.
 * --commit-interval-ms N (with A): stage 1's commit interval (STREAM_COMMIT_INTERVAL_MS; default
 * its default). --cpu-prof DIR (with A): V8 CPU profiles of the raw consumer's and each stage-1 run alone (only the
 * time of that run, not production or the broker start), written as DIR/<run>.cpuprofile.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import type { Kafka } from "kafkajs";
import { z } from "zod";
import { parseEnv, tracingVars } from "../../core/config/env.ts";
import { bucketStart } from "../../core/events/aggregate.ts";
import { topicName } from "../../core/events/topics.ts";
import { encodeHistogram, newLatencyHistogram, toMicros } from "../../core/latency/histogram.ts";
import { createLogger } from "../../core/observability/logger.ts";
import { createTenantWithAdminKey } from "../../core/tenants/tenants.service.ts";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { createKafka, eventProducer } from "../../platform/kafka.ts";
import { logProcessWarnings } from "../../platform/lifecycle.ts";
import { startTracing } from "../../platform/tracing.ts";
import {
  createAggregateStage,
  defaultCommitIntervalMs,
} from "../../stream/aggregate/aggregate.consumer.ts";
import { createWindowStore } from "../../stream/evaluate/window-store.ts";
import { createStreamMetrics } from "../../stream/metrics/registry.ts";
import { startKafkaBroker } from "../kafka/broker.ts";
import { ensureTopics } from "../kafka/topics.ts";
import { createTraffic } from "../loadgen/traffic.ts";
import { freePort, waitFor } from "../net.ts";
import { nodeFlags, streamNodeFlags } from "../node-flags.ts";
import { startZipkin } from "../zipkin/server.ts";
import { median } from "./stats.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const { values } = parseArgs({
  options: {
    events: { type: "string", default: "1000000" },
    "series-events": { type: "string", default: "500000" },
    bursts: { type: "string", default: "10" },
    rounds: { type: "string", default: "3" },
    series: { type: "string", default: "10000" },
    only: { type: "string" },
    "latency-gauges": { type: "string", default: "on" },
    trace: { type: "boolean", default: false },
    "cpu-prof": { type: "string" },
    "commit-interval-ms": { type: "string" },
  },
});
const logger = createLogger({ service: "bench-stream", level: "error" });
logProcessWarnings(logger);
const run = (part: string) => !values.only || values.only.toUpperCase().includes(part);

const dataDir = mkdtempSync(join(tmpdir(), "gridpulse-bench-stream-"));
const external = process.env.KAFKA_BROKERS?.split(",").filter(Boolean);
// D alone needs no broker.
const needsBroker = run("A") || run("B") || run("C");
const broker =
  external || !needsBroker
    ? undefined
    : await startKafkaBroker({ dataDir: join(dataDir, "kafka"), heapMb: 1024 });
const brokers = external ?? broker?.brokers ?? [];
const kafka: Kafka = createKafka({ brokers, clientId: "bench", logger, logLevel: "error" });
const admin = kafka.admin();
if (needsBroker) await admin.connect();

async function topics(partitions = 3) {
  const prefix = `bench-${randomUUID().slice(0, 6)}.`;
  await ensureTopics(admin, { prefix, partitions });
  return prefix;
}

async function produce(
  topic: string,
  count: number,
  make: (i: number) => { key: string; value: string },
) {
  const producer = eventProducer(kafka);
  await producer.connect();
  for (let i = 0; i < count; i += 2000) {
    await producer.send({
      topic,
      messages: Array.from({ length: Math.min(2000, count - i) }, (_, j) => make(i + j)),
    });
  }
  await producer.disconnect();
}

const ms = (n: number) => Math.round(n);

/** With --cpu-prof DIR: profiles the time between start() and the returned stop(name) alone. */
async function profile(): Promise<(name: string) => Promise<void>> {
  const dir = values["cpu-prof"];
  if (!dir) return async () => {};
  mkdirSync(dir, { recursive: true });
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
  return async (name) => {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  };
}
const results: Record<string, string | number>[] = [];

if (run("A")) {
  const n = Number(values.events);
  const prefix = await topics();
  const topic = topicName(prefix, "requests");
  const next = createTraffic({ seed: 1 });
  // Event times end at the start of production (1 ms apart): none is future-dated or late, so stage 1
  // aggregates every event instead of dead-lettering the ones dated ahead of the clock.
  const base = Date.now() - n;
  await produce(topic, n, (i) => {
    const e = next(base + i);
    return { key: e.service, value: JSON.stringify(e) };
  });

  // Raw kafkajs: fetch and decode only.
  const rawRun = async (group: string) => {
    const raw = kafka.consumer({
      groupId: group,
      maxBytesPerPartition: 8 * 1024 * 1024,
      maxBytes: 32 * 1024 * 1024,
      minBytes: 256 * 1024,
      maxWaitTimeInMs: 500,
    });
    // The clock starts before connecting, as stage 1's does before start() (which connects,
    // subscribes and joins): both figures hold the same start-up work.
    const profiled = await profile();
    const rawStart = performance.now();
    const rawCpu = process.cpuUsage();
    await raw.connect();
    await raw.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    let bytes = 0;
    let rawDone!: () => void;
    const rawFinished = new Promise<void>((r) => (rawDone = r));
    await raw.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) bytes += m.value?.length ?? 0;
        seen += batch.messages.length;
        if (seen >= n) rawDone();
      },
    });
    await rawFinished;
    const rawS = (performance.now() - rawStart) / 1000;
    const rawCpuS = (process.cpuUsage(rawCpu).user + process.cpuUsage(rawCpu).system) / 1e6;
    await profiled(group.replace(/-bench-.*/, ""));
    await raw.disconnect();
    return { rawS, rawCpuS, bytes };
  };

  // Stage 1, in this process, with its real transactions.
  const stage1 = async (
    group: string,
    fetchMaxBytesPerPartition?: number,
    commitIntervalMs?: number,
  ) => {
    const metrics = createStreamMetrics();
    const stage = createAggregateStage({
      kafka,
      sourceTopic: topic,
      outputTopic: topicName(prefix, "aggregates"),
      groupId: group,
      settings: () => ({
        allowedLatenessMs: 120_000,
        maxFutureSkewMs: 300_000,
        thresholdsMs: [100, 250, 500, 1000],
      }),
      metrics,
      logger,
      sessionTimeoutMs: 10_000,
      maxWaitMs: 500,
      partitionConcurrency: 3,
      ...(fetchMaxBytesPerPartition ? { fetchMaxBytesPerPartition } : {}),
      ...(commitIntervalMs !== undefined
        ? { commitIntervalMs }
        : values["commit-interval-ms"] !== undefined
          ? { commitIntervalMs: Number(values["commit-interval-ms"]) }
          : {}),
      now: Date.now,
    });
    const profiled = await profile();
    const aggStart = performance.now();
    const aggCpu = process.cpuUsage();
    await stage.start();
    const get = async (c: { get(): Promise<{ values: { value: number }[] }> }) =>
      (await c.get()).values.reduce((s, v) => s + v.value, 0);
    const counted = async () =>
      (await get(metrics.eventsProcessed)) +
      (await get(metrics.eventsLate)) +
      (await get(metrics.eventsInvalid));
    // The hot path's end: every event aggregated, committed or still held for the commit interval
    // (gridpulse_stream_events_accumulated); its last transaction follows within the interval.
    let aggregatedAt: number | undefined;
    await waitFor(
      "stage 1 to consume every event",
      async () => {
        const committed = await counted();
        if (aggregatedAt === undefined && committed + (await get(metrics.eventsAccumulated)) >= n)
          aggregatedAt = performance.now();
        return committed >= n;
      },
      { timeoutMs: 600_000, intervalMs: 10 },
    );
    const aggS = (performance.now() - aggStart) / 1000;
    const hotS = ((aggregatedAt ?? performance.now()) - aggStart) / 1000;
    const aggCpuS = (process.cpuUsage(aggCpu).user + process.cpuUsage(aggCpu).system) / 1e6;
    await profiled(group.replace(/-bench-.*/, ""));
    const txns =
      (await metrics.transactionDuration.get()).values.find((v) => v.metricName?.endsWith("_count"))
        ?.value ?? 0;
    await stage.stop();
    return { aggS, hotS, aggCpuS, txns };
  };
  // Raw and stage 1 alternate for --rounds rounds over the same events (the machine's load changes
  // from second to second); the medians and the median of the rounds' ratios are reported.
  const rounds: {
    raw: Awaited<ReturnType<typeof rawRun>>;
    agg: Awaited<ReturnType<typeof stage1>>;
  }[] = [];
  for (let r = 1; r <= Number(values.rounds); r++)
    rounds.push({ raw: await rawRun(`raw${r}-${prefix}`), agg: await stage1(`agg${r}-${prefix}`) });
  const rawS = median(rounds.map((x) => x.raw.rawS));
  const rawCpuS = median(rounds.map((x) => x.raw.rawCpuS));
  const bytes = rounds[0]?.raw.bytes ?? 0;
  const aggS = median(rounds.map((x) => x.agg.aggS));
  const hotS = median(rounds.map((x) => x.agg.hotS));
  const hotRatios = rounds.map((x) => x.raw.rawS / x.agg.hotS);
  const aggCpuS = median(rounds.map((x) => x.agg.aggCpuS));
  const txns = median(rounds.map((x) => x.agg.txns));
  const ratios = rounds.map((x) => x.raw.rawS / x.agg.aggS);
  const rawRate = n / rawS;
  const aggRate = n / aggS;
  results.push(
    {
      measure: "A raw kafkajs consumer (decode only)",
      value: `${Math.round(rawRate).toLocaleString("en")} events/s`,
      detail: `${n} events, ${(bytes / 2 ** 20).toFixed(0)} MiB in ${rawS.toFixed(2)} s, CPU ${rawCpuS.toFixed(1)} s (median of ${rounds.length})`,
    },
    {
      measure: "A stage 1 (validate + aggregate + transactions)",
      value: `${Math.round(aggRate).toLocaleString("en")} events/s`,
      detail: `${aggS.toFixed(2)} s incl. group join, ${txns} transactions, CPU ${aggCpuS.toFixed(1)} s (median)`,
    },
    {
      measure: "A ratio stage 1 / raw",
      value: median(ratios).toFixed(2),
      detail: `median of rounds [${ratios.map((x) => x.toFixed(2)).join(", ")}]; goal ≥ 0.7; goal ≥ 100,000 events/s`,
    },
    {
      measure: "A stage 1 hot path: every event aggregated",
      value: `${Math.round(n / hotS).toLocaleString("en")} events/s`,
      detail: `${hotS.toFixed(2)} s incl. group join and the transactions committed meanwhile; the last commit ${(aggS - hotS).toFixed(2)} s later (the commit interval's wait) (median)`,
    },
    {
      measure: "A ratio stage 1 hot path / raw",
      value: median(hotRatios).toFixed(2),
      detail: `median of rounds [${hotRatios.map((x) => x.toFixed(2)).join(", ")}]`,
    },
  );
  // The same events again with the raw consumer's fetch size (STREAM_FETCH_MAX_BYTES_PER_PARTITION):
  // one transaction per fetch, so fewer and larger transactions.
  const big = await stage1(`agg-big-${prefix}`, 8 * 1024 * 1024);
  const bigRate = n / big.aggS;
  results.push(
    {
      measure: "A stage 1, 8 MiB fetches per partition",
      value: `${Math.round(bigRate).toLocaleString("en")} events/s`,
      detail: `${big.aggS.toFixed(2)} s incl. group join, ${big.txns} transactions, CPU ${big.aggCpuS.toFixed(1)} s`,
    },
    {
      measure: "A ratio stage 1 (8 MiB fetches) / raw",
      value: (bigRate / rawRate).toFixed(2),
      detail: "STREAM_FETCH_MAX_BYTES_PER_PARTITION=8388608 (default 2 MiB)",
    },
  );
  // And once more committing every fetch on its own (no commit interval), as before it existed.
  const perFetch = await stage1(`agg-per-fetch-${prefix}`, undefined, 0);
  const perFetchRate = n / perFetch.aggS;
  results.push(
    {
      measure: "A stage 1, a transaction per fetch",
      value: `${Math.round(perFetchRate).toLocaleString("en")} events/s`,
      detail: `${perFetch.aggS.toFixed(2)} s incl. group join, ${perFetch.txns} transactions, CPU ${perFetch.aggCpuS.toFixed(1)} s`,
    },
    {
      measure: "A ratio stage 1 (a transaction per fetch) / raw",
      value: (perFetchRate / rawRate).toFixed(2),
      detail: `STREAM_COMMIT_INTERVAL_MS=0 (other runs: ${values["commit-interval-ms"] ?? defaultCommitIntervalMs})`,
    },
  );
  if (values.trace) {
    const zipkin = await startZipkin({ logDir: dataDir });
    const tracing = startTracing(
      {
        ...parseEnv("bench", z.object(tracingVars), {}),
        OTEL_TRACES_EXPORTER: "zipkin",
        OTEL_EXPORTER_ZIPKIN_ENDPOINT: zipkin.spansEndpoint,
      },
      { serviceName: "bench-stream", logger },
    );
    const traced = await stage1(`agg-traced-${prefix}`);
    await tracing.shutdown();
    await zipkin.stop();
    const tracedRate = n / traced.aggS;
    results.push(
      {
        measure: "A stage 1 with trace export (Zipkin)",
        value: `${Math.round(tracedRate).toLocaleString("en")} events/s`,
        detail: `${traced.aggS.toFixed(2)} s, ${traced.txns} transactions, CPU ${traced.aggCpuS.toFixed(1)} s`,
      },
      {
        measure: "A trace export overhead",
        value: `${(tracedRate / aggRate).toFixed(3)} x events/s`,
        detail: `CPU ${(traced.aggCpuS / aggCpuS).toFixed(2)} x (same events, same run)`,
      },
    );
  }
}

function startWorker(
  env: Record<string, string>,
  entry = "stream/main.ts",
  flags: readonly string[] = nodeFlags,
) {
  const proc = spawn(process.execPath, [...flags, entry], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  proc.stderr?.on("data", (d: Buffer) => {
    const text = d.toString();
    if (/"level":"(error|fatal)"|Error|heap/.test(text)) process.stderr.write(text);
  });
  proc.on("exit", (code, signal) => {
    if (code !== 0 && signal !== "SIGTERM")
      process.stderr.write(`${entry} exited: ${code ?? signal}\n`);
  });
  return proc;
}

/**
 * Resident memory of a process by kind, in MB, from /proc/<pid>/smaps: V8's heap pages (anonymous
 * mappings of exactly 256 KiB), the C heap's main arena (`[heap]`: malloc of the main thread — Buffers,
 * zlib, libSQL), other anonymous memory (V8 large objects and code, other malloc arenas, stacks), the
 * node binary's pages, native modules (`*.node`: libSQL) and other mapped files.
 */
function residentByKind(pid: number) {
  const kb = { v8Pages: 0, mallocMain: 0, otherAnon: 0, nodeBinary: 0, nativeModules: 0, files: 0 };
  let kind: keyof typeof kb = "files";
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const [, from, to, name] = head as unknown as [string, string, string, string];
      const size = Number.parseInt(to, 16) - Number.parseInt(from, 16);
      kind =
        name === ""
          ? size === 256 * 1024
            ? "v8Pages"
            : "otherAnon"
          : name === "[heap]"
            ? "mallocMain"
            : name.endsWith("/bin/node")
              ? "nodeBinary"
              : name.endsWith(".node")
                ? "nativeModules"
                : name.startsWith("[")
                  ? "otherAnon"
                  : "files";
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) kb[kind] += Number(rss[1]);
  }
  const mb = Object.fromEntries(Object.entries(kb).map(([k, v]) => [k, v / 1024])) as typeof kb;
  return { ...mb, total: Object.values(mb).reduce((a, b) => a + b, 0) };
}

const describeKinds = (m: ReturnType<typeof residentByKind>) =>
  `V8 pages ${ms(m.v8Pages)}, malloc [heap] ${ms(m.mallocMain)}, other anon ${ms(m.otherAnon)}, node binary ${ms(m.nodeBinary)}, *.node ${ms(m.nativeModules)}, files ${ms(m.files)}`;

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function storedTotal(url: string) {
  const { db, close } = await openDatabase({ url });
  const row = await db.run(
    sql`select coalesce(sum(total), 0) as t, count(*) as n from request_minutes`,
  );
  close();
  return { total: Number(row.rows[0]?.t ?? 0), series: Number(row.rows[0]?.n ?? 0) };
}

if (run("B")) {
  // The same 10,000 series through (1) a stage-1-only process and (2) one process running both stages.
  const n = Number(values["series-events"]);
  const configs = [
    {
      label: "stage 1 process",
      stages: "aggregate",
      flags: ["--max-semi-space-size=4", "--max-old-space-size=100"],
    },
    { label: "both stages, one process", stages: "aggregate,evaluate", flags: streamNodeFlags },
  ];
  for (const config of configs) {
    const prefix = await topics();
    const databaseUrl = `file:${join(dataDir, `b-${prefix}db`)}`;
    const port = await freePort();
    const worker = startWorker(
      {
        KAFKA_BROKERS: brokers.join(","),
        KAFKA_TOPIC_PREFIX: prefix,
        STREAM_CONSUMER_GROUP: `mem-${prefix}`,
        STREAM_STAGES: config.stages,
        DATABASE_URL: databaseUrl,
        STREAM_PORT: String(port),
        LOG_LEVEL: "error",
        ...(values["latency-gauges"] === "off"
          ? { STREAM_LATENCY_TOP_ROUTES: "0", STREAM_LATENCY_GAUGES_INTERVAL_MS: "600000" }
          : {}),
      },
      "stream/main.ts",
      config.flags,
    );
    const url = `http://127.0.0.1:${port}`;
    await waitFor("worker", async () => (await fetch(`${url}/health/ready`)).ok, {
      timeoutMs: 60_000,
    });
    const idleRss = peakRssMb(worker.pid as number);
    const idleKinds = residentByKind(worker.pid as number);
    // The largest resident set seen while it works, by kind (sampled at every poll).
    let peakKinds = idleKinds;
    const base = Date.now();
    const started = performance.now();
    await produce(topicName(prefix, "requests"), n, (i) => {
      const series = i % 10_000;
      const service = `svc-${Math.floor(series / 100)}`;
      return {
        key: service,
        value: JSON.stringify({
          id: `m${i}`,
          ts: base + Math.floor(i / 50),
          service,
          route: `/r/${series % 100}`,
          method: "GET",
          status: i % 97 === 0 ? 503 : 200,
          durationMs: 1 + (i % 4000) / 10,
        }),
      };
    });
    // Where the memory is, from the worker's own process metrics: the largest V8 heap (allocated
    // and used) and external memory (Buffers: fetched and produced Kafka data) seen while it works.
    const peaks = { heapTotal: 0, heapUsed: 0, external: 0 };
    const gauge = (lines: string[], name: string) =>
      Number(
        lines
          .find((l) => l.startsWith(`${name} `))
          ?.split(" ")
          .at(-1) ?? 0,
      ) /
      2 ** 20;
    const processed = async () => {
      const lines = (await (await fetch(`${url}/metrics`)).text()).split("\n");
      peaks.heapTotal = Math.max(peaks.heapTotal, gauge(lines, "nodejs_heap_size_total_bytes"));
      peaks.heapUsed = Math.max(peaks.heapUsed, gauge(lines, "nodejs_heap_size_used_bytes"));
      peaks.external = Math.max(peaks.external, gauge(lines, "nodejs_external_memory_bytes"));
      const kinds = residentByKind(worker.pid as number);
      if (kinds.total > peakKinds.total) peakKinds = kinds;
      const line = lines.find((l) => l.startsWith("gridpulse_stream_events_processed_total{"));
      const count = Number(line?.split(" ").at(-1) ?? 0);
      if (count >= n && stage1At === undefined) stage1At = performance.now();
      partials = lines
        .filter((l) => l.startsWith("gridpulse_stream_partial_aggregates_total{"))
        .map((l) => `${/direction="(\w+)"/.exec(l)?.[1]} ${l.split(" ").at(-1)}`)
        .join(", ");
      return count;
    };
    let stage1At: number | undefined;
    let partials = "";
    await waitFor(
      "every event processed",
      async () =>
        (await processed()) >= n &&
        (config.stages === "aggregate" || (await storedTotal(databaseUrl)).total >= n),
      { timeoutMs: 600_000, intervalMs: 500 },
    );
    const seconds = (performance.now() - started) / 1000;
    const stage1Seconds = ((stage1At ?? performance.now()) - started) / 1000;
    const peak = peakRssMb(worker.pid as number);
    worker.kill("SIGTERM");
    await new Promise((r) => worker.once("exit", r));
    results.push({
      measure: `B throughput, 10,000 series: ${config.label}`,
      value: `${Math.round(n / seconds).toLocaleString("en")} events/s`,
      detail: `stage 1 done after ${stage1Seconds.toFixed(1)} s (${Math.round(n / stage1Seconds).toLocaleString("en")} events/s incl. production), all stored after ${seconds.toFixed(1)} s; partials: ${partials}`,
    });
    results.push({
      measure: `B peak resident memory, 10,000 series: ${config.label}`,
      value: `${ms(peak)} MB`,
      detail: `${n} events in ${seconds.toFixed(1)} s; idle ${ms(idleRss)} MB; peak V8 heap ${ms(peaks.heapTotal)} MB (used ${ms(peaks.heapUsed)}), external ${ms(peaks.external)} MB; node ${config.flags.join(" ")} (goal < 256 MB)`,
    });
    results.push({
      measure: `B resident memory by kind (MB): ${config.label}`,
      value: `${ms(idleKinds.total)} idle, ${ms(peakKinds.total)} largest sample`,
      detail: `idle: ${describeKinds(idleKinds)}; largest sample: ${describeKinds(peakKinds)}`,
    });
  }
}

if (run("C")) {
  const bursts = Number(values.bursts);
  const prefix = await topics();
  const databaseUrl = `file:${join(dataDir, `c-${prefix}db`)}`;
  const { db, close } = await openDatabase({ url: databaseUrl });
  await applyMigrations(db);
  const { apiKey } = await createTenantWithAdminKey(db, { name: "bench", nowMs: Date.now() });
  close();
  const [streamPort, apiPort] = [await freePort(), await freePort()];
  const worker = startWorker({
    KAFKA_BROKERS: brokers.join(","),
    KAFKA_TOPIC_PREFIX: prefix,
    STREAM_CONSUMER_GROUP: `lat-${prefix}`,
    DATABASE_URL: databaseUrl,
    STREAM_PORT: String(streamPort),
    LOG_LEVEL: "error",
  });
  const api = startWorker(
    {
      DATABASE_URL: databaseUrl,
      PORT: String(apiPort),
      API_METRICS_PORT: String(await freePort()),
      KAFKA_BROKERS: "",
      LOG_LEVEL: "error",
      // The bursts poll the status every 20 ms with one key: the per-key limit is not measured here.
      RATE_LIMIT_PER_S: "100000",
      RATE_LIMIT_BURST: "1000000",
    },
    "api/node.ts",
  );
  const streamUrl = `http://127.0.0.1:${streamPort}`;
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  await waitFor(
    "services",
    async () =>
      (await fetch(`${streamUrl}/health/ready`)).ok && (await fetch(`${apiUrl}/health/ready`)).ok,
    { timeoutMs: 60_000 },
  );
  const auth = { Authorization: `Bearer ${apiKey.key}`, "Content-Type": "application/json" };
  const created = await fetch(`${apiUrl}/v1/slos`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({
      name: "probe",
      service: "probe",
      sli: { kind: "availability" },
      objective: 0.999,
      window: { kind: "rolling", days: 30 },
      minEvents: 1,
    }),
  });
  if (created.status !== 201)
    throw new Error(`C: creating the SLO answered ${created.status}: ${await created.text()}`);
  const slo = (await created.json()) as { id: string };
  const producer = eventProducer(kafka);
  await producer.connect();
  const topic = topicName(prefix, "requests");
  let seq = 0;
  const send = (count: number, status: number) =>
    producer.send({
      topic,
      messages: Array.from({ length: count }, () => ({
        key: "probe",
        value: JSON.stringify({
          id: `p${seq++}`,
          ts: Date.now(),
          service: "probe",
          route: "/p",
          method: "GET",
          status,
          durationMs: 5,
        }),
      })),
    });
  const gauge = async () => {
    const text = await (await fetch(`${streamUrl}/metrics`)).text();
    const line = text
      .split("\n")
      .find(
        (l) =>
          l.startsWith("gridpulse_slo_burn_rate{") &&
          l.includes(`slo_id="${slo.id}"`) &&
          l.includes('window="5m"'),
      );
    return line ? Number(line.split(" ").at(-1)) : Number.NaN;
  };
  const statusBurn = async () => {
    const res = await fetch(`${apiUrl}/v1/slos/${slo.id}/status`, { headers: auth });
    if (res.status !== 200)
      throw new Error(`C: GET /v1/slos/{id}/status answered ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as { tiers: { shortWindow: { burnRate: number | null } }[] };
    return body.tiers[0]?.shortWindow.burnRate ?? Number.NaN;
  };
  await send(1000, 200);
  await waitFor("baseline burn rate", async () => (await gauge()) === 0, {
    timeoutMs: 30_000,
    intervalMs: 100,
  });
  const toMetrics: number[] = [];
  const toApi: number[] = [];
  for (let b = 0; b < bursts; b++) {
    const [beforeGauge, beforeApi] = [await gauge(), await statusBurn()];
    const t0 = performance.now();
    await send(20, 503);
    let apiAt: number | undefined;
    let metricsAt: number | undefined;
    while ((apiAt === undefined || metricsAt === undefined) && performance.now() - t0 < 30_000) {
      if (metricsAt === undefined && (await gauge()) > beforeGauge)
        metricsAt = performance.now() - t0;
      if (apiAt === undefined && (await statusBurn()) > beforeApi) apiAt = performance.now() - t0;
      await new Promise((r) => setTimeout(r, 20));
    }
    toMetrics.push(metricsAt ?? Number.NaN);
    toApi.push(apiAt ?? Number.NaN);
    await new Promise((r) => setTimeout(r, 300));
  }
  await producer.disconnect();
  worker.kill("SIGTERM");
  api.kill("SIGTERM");
  const q = (xs: number[], p: number) =>
    [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)] as number;
  results.push(
    {
      measure: "C production -> burn rate in /metrics",
      value: `p50 ${ms(q(toMetrics, 0.5))} ms, p99 ${ms(q(toMetrics, 0.99))} ms`,
      detail: `${bursts} bursts; STREAM_MAX_WAIT_MS 500, STREAM_EVAL_INTERVAL_MS 1000 (defaults)`,
    },
    {
      measure: "C production -> burn rate in /v1/slos/:id/status",
      value: `p50 ${ms(q(toApi, 0.5))} ms, p99 ${ms(q(toApi, 0.99))} ms`,
      detail: "computed from the stored buckets on request",
    },
  );
}

if (run("D")) {
  const series = Number(values.series);
  const { db, close } = await openDatabase({ url: `file:${join(dataDir, "d.db")}` });
  await applyMigrations(db);
  const store = createWindowStore(db);
  // One realistic histogram (durations of 200 events, 1-400 ms) shared by every partial: stage 2
  // decodes, merges and re-encodes each one as it would a partial from the broker.
  const histogram = newLatencyHistogram();
  for (let i = 0; i < 200; i++) histogram.recordValue(toMicros(1 + ((i * 37) % 4000) / 10));
  const encoded = encodeHistogram(histogram);
  const minute = bucketStart(Date.now());
  const slice = 250;
  let partials = 0;
  let transactions = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  // Round 1 inserts every series' minute and hour; rounds 2-3 update them (the steady state).
  for (let round = 0; round < 3; round++) {
    for (let from = 0; from < series; from += slice) {
      const batch = Array.from({ length: Math.min(slice, series - from) }, (_, j) => ({
        v: 1 as const,
        service: `svc-${Math.floor((from + j) / 100)}`,
        route: `/r/${(from + j) % 100}`,
        bucketStartMs: minute,
        total: 200,
        good: 198,
        goodWithin: [[100, 120] as [number, number], [250, 190] as [number, number]],
        histogram: encoded,
        closed: false,
      }));
      await store.apply(
        batch,
        { consumerGroup: "bench", topic: "bench", partition: 0, nextOffset: String(partials) },
        Date.now(),
      );
      partials += batch.length;
      transactions += 1;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const cpuS = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1e6;
  close();
  const rows = partials * 2 + transactions;
  results.push({
    measure: `D stage 2 write path, ${series.toLocaleString("en")} series x 3 rounds`,
    value: `${Math.round(partials / seconds).toLocaleString("en")} partials/s`,
    detail: `${Math.round(rows / seconds).toLocaleString("en")} rows/s (minute + hour upserts, offset), ${transactions} transactions of ≤ ${slice}, CPU ${((cpuS / partials) * 1e6).toFixed(0)} µs/partial, libSQL file in this process`,
  });
}

if (needsBroker) await admin.disconnect();
await broker?.stop();
rmSync(dataDir, { recursive: true, force: true });
console.table(results);
