/**
 * Unbounded cardinality against the real broker, stream worker and API: one service sends 100,000
 * distinct routes (one event each). The worker keeps its consumer-group membership throughout (no
 * rejoin, no crash, with a 3 s session timeout), stores at most STREAM_MAX_ROUTES_PER_SERVICE routes of
 * the service plus `__other__`, which holds every other event (counts exact in total and counted in
 * gridpulse_stream_series_overflow_total), the latency query on the service answers, and `/health/live`
 * of the API and the worker answers promptly to probes made all along (from a separate thread).
 */
import { spawn } from "node:child_process";
import { Worker } from "node:worker_threads";
import { sql } from "drizzle-orm";
import { afterEach, expect, it } from "vitest";
import { topicName } from "../../core/events/topics.ts";
import { createTenantWithAdminKey } from "../../core/tenants/tenants.service.ts";
import { freePort, isPortOpen, waitFor } from "../../dev/net.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { eventProducer } from "../../platform/kafka.ts";
import { createTopics, testKafka, uniquePrefix } from "../support/kafka.ts";
import { sampleValue, scrape } from "../support/metrics.ts";
import { type ServiceProcess, startService } from "../support/processes.ts";
import { startStreamWorker } from "../support/stream.ts";

const kafka = testKafka();
const running: ServiceProcess[] = [];
let stopControl = () => {};
afterEach(async () => {
  stopControl();
  await Promise.all(running.splice(0).map((s) => s.stop("SIGKILL")));
});

const routes = 100_000;
const cap = 1000;
const service = "wide-svc";
/**
 * Ceiling on the health probes' p99: a liveness bound, not a benchmark. On a shared 2-core machine even
 * an idle process answers late at times, so the bound is 1 s or four times the p99 of an idle control
 * server probed alongside, whichever is higher (before the series cap and the bounded slices, the
 * worker's probes waited tens of seconds, and the API's waited for the whole latency query).
 */
const healthCeilingMs = 1000;

/** Probes each URL every 50 ms from its own thread until stopped; returns [url index, ms, status]. */
function startProbes(urls: string[]) {
  const worker = new Worker(
    `const { parentPort, workerData } = require("node:worker_threads");
     const out = [];
     parentPort.on("message", () => { clearInterval(timer); setTimeout(() => parentPort.postMessage(out), 1500); });
     const probe = async (i) => {
       const t0 = performance.now();
       try { const r = await fetch(workerData[i], { signal: AbortSignal.timeout(10000) }); await r.text(); out.push([i, performance.now() - t0, r.status]); }
       catch { out.push([i, performance.now() - t0, 0]); }
     };
     const timer = setInterval(() => workerData.forEach((_, i) => void probe(i)), 50);`,
    { eval: true, workerData: urls },
  );
  return {
    stop: () =>
      new Promise<[number, number, number][]>((resolve) => {
        worker.once("message", (out: [number, number, number][]) => {
          void worker.terminate();
          resolve(out);
        });
        worker.postMessage("stop");
      }),
  };
}

const p99 = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(0.99 * xs.length) - 1)] as number;

it(`${routes.toLocaleString("en")} distinct routes of one service: series capped, counts exact, membership kept, health prompt`, async () => {
  const prefix = uniquePrefix();
  await createTopics(kafka, prefix, 3);
  const { worker, databaseUrl } = await startStreamWorker(prefix, {
    env: {
      STREAM_MAX_ROUTES_PER_SERVICE: String(cap),
      STREAM_STAGES: "aggregate,evaluate",
      STREAM_LATENCY_GAUGES_INTERVAL_MS: "2000",
    },
  });
  running.push(worker);
  const { db, close } = await openDatabase({ url: databaseUrl });
  const { apiKey } = await createTenantWithAdminKey(db, { name: "ops", nowMs: Date.now() });
  const api = await startService("api/node.ts", {
    DATABASE_URL: databaseUrl,
    API_METRICS_PORT: String(await freePort()),
    KAFKA_BROKERS: "",
  });
  running.push(api);
  const joins = () => (worker.output().match(/stage joined/g) ?? []).length;
  await waitFor("both stages to join", async () => joins() >= 2, { timeoutMs: 30_000 });
  const joinsBefore = joins();

  const controlPort = await freePort();
  const control = spawn(
    process.execPath,
    [
      "-e",
      `require("node:http").createServer((q, s) => s.end("ok")).listen(${controlPort}, "127.0.0.1")`,
    ],
    { stdio: "ignore" },
  );
  stopControl = () => control.kill("SIGKILL");
  await waitFor("the control server", () => isPortOpen(controlPort), { timeoutMs: 10_000 });
  const probes = startProbes([
    `${api.url}/health/live`,
    `${worker.url}/health/live`,
    `http://127.0.0.1:${controlPort}/`,
  ]);
  const producer = eventProducer(kafka);
  await producer.connect();
  const base = Date.now() - 60_000;
  for (let i = 0; i < routes; i += 2000) {
    await producer.send({
      topic: topicName(prefix, "requests"),
      messages: Array.from({ length: Math.min(2000, routes - i) }, (_, j) => ({
        key: service,
        value: JSON.stringify({
          id: `w${i + j}`,
          ts: base + Math.floor((i + j) / 1000),
          service,
          route: `/r/${i + j}`,
          method: "GET",
          status: (i + j) % 50 === 0 ? 503 : 200,
          durationMs: 1 + ((i + j) % 700),
        }),
      })),
    });
  }
  await producer.disconnect();

  const stored = async (table: "request_minutes" | "request_hours") => {
    const rows = await db.all<{ route: string; total: number; good: number }>(
      sql.raw(
        `select route, sum(total) as total, sum(good) as good from ${table} where service = '${service}' group by route`,
      ),
    );
    return new Map(rows.map((r) => [r.route, { total: Number(r.total), good: Number(r.good) }]));
  };
  let storedTotal = 0;
  await waitFor(
    "every event in the window state",
    async () => {
      storedTotal = [...(await stored("request_minutes")).values()].reduce(
        (s, r) => s + r.total,
        0,
      );
      return storedTotal >= routes;
    },
    { timeoutMs: 240_000, intervalMs: 1000 },
  ).catch((e: Error) => {
    throw new Error(`${e.message} (${storedTotal} of ${routes})\n${worker.output().slice(-3000)}`);
  });

  // The latency query over the service, while the probes go on.
  const query = await fetch(`${api.url}/v1/latency?service=${service}&from=${base - 60_000}`, {
    headers: { Authorization: `Bearer ${apiKey.key}` },
    signal: AbortSignal.timeout(60_000),
  });
  const report = (await query.json()) as { count: number; good: number };
  const other = (await (
    await fetch(`${api.url}/v1/latency?service=${service}&route=__other__&from=${base - 60_000}`, {
      headers: { Authorization: `Bearer ${apiKey.key}` },
    })
  ).json()) as { count: number };
  await new Promise((r) => setTimeout(r, 2000));
  const samples = await probes.stop();

  expect(query.status).toBe(200);
  const events = worker
    .output()
    .split("\n")
    .filter((l) => /joined|crash|"level":"(warn|error)"/.test(l) && !/dead-lettered/.test(l))
    .slice(-15)
    .join("\n");
  expect(report, `worker log:\n${events}`).toMatchObject({
    count: routes,
    good: routes - routes / 50,
  });
  expect(other.count).toBe(routes - cap);

  for (const table of ["request_minutes", "request_hours"] as const) {
    const series = await stored(table);
    expect(series.size).toBe(cap + 1);
    expect(series.get("__other__")?.total).toBe(routes - cap);
    const own = [...series].filter(([route]) => route !== "__other__");
    expect(own.every(([route, r]) => /^\/r\/\d+$/.test(route) && r.total === 1)).toBe(true);
    expect([...series.values()].reduce((s, r) => s + r.total, 0)).toBe(routes);
    expect([...series.values()].reduce((s, r) => s + r.good, 0)).toBe(routes - routes / 50);
  }
  close();
  const text = await scrape(worker.url);
  expect(sampleValue(text, "gridpulse_stream_series_overflow_total", { service })).toBe(
    routes - cap,
  );
  expect(
    sampleValue(text, "gridpulse_stream_events_processed_total", {
      topic: topicName(prefix, "requests"),
    }),
  ).toBe(routes);

  // Group membership kept: no rejoin, no crash, still joined.
  expect(joins(), `worker log:\n${events}`).toBe(joinsBefore);
  expect(worker.output()).not.toContain("consumer crashed");
  expect(sampleValue(text, "gridpulse_stream_consumer_joined")).toBe(2);

  const figures = [0, 1, 2].map((i) => {
    const ms = samples.filter((s) => s[0] === i).map((s) => s[1]);
    const failed = samples.filter((s) => s[0] === i && s[2] !== 200).length;
    return { n: ms.length, p99: p99(ms), max: Math.max(...ms), failed };
  });
  const ceiling = Math.max(healthCeilingMs, 4 * (figures[2]?.p99 ?? 0));
  console.log(
    `health probes during the run (ms): API ${JSON.stringify(figures[0])}, worker ${JSON.stringify(figures[1])}, idle control ${JSON.stringify(figures[2])}; ceiling ${Math.round(ceiling)}`,
  );
  for (const f of figures.slice(0, 2)) {
    expect(f.n).toBeGreaterThan(100);
    expect(f.failed).toBe(0);
    expect(f.p99).toBeLessThan(ceiling);
  }
}, 420_000);
