/**
 * `npm run bench:api`: HTTP throughput and latency of the edge API on loopback, with autocannon, on
 * Node (embedded libSQL file) and on local workerd against sqld, endpoint by endpoint, each next to
 * a baseline measured in the same run: `GET /health/live` for reads, `GET /v1/me` for lists, and
 * for `POST /v1/assessments` the anchor (dev/bench/anchor.ts: parse, validate, `assess()`, small
 * JSON reply, in its own Node process) and also `GET /v1/me` of the same runtime. "workerd" runs
 * the production bundle (`wrangler deploy --dry-run`) on `workerd serve` directly; "wrangler-dev"
 * goes through `wrangler dev`, whose local proxy costs most of the throughput. The API runs at its
 * default log level (one access-log line per request, stdout read by this process as a log
 * collector would); workerd, self-hosted, with its lines gathered 5 ms per write (`LOG_BATCH_MS`).
 * The Node API and the anchor run with the flags gridpulse's processes run with
 * (`dev/node-flags.ts`: an 8 MB young generation). "server CPU µs/req" is the server's CPU time
 * (its process group: threads and children, from /proc; sqld's own excluded) per request; "sqld CPU
 * µs/req" the libSQL server's, where there is one. On Node the access log's cost is put against it:
 * one log line's CPU, measured in this process over many lines; on workerd, `GET /v1/me` with the
 * lines gathered, with a write per line and without access log, alternating.
 *   --duration S (default 10) --connections N (default 32) --runtimes node,workerd[,node-sqld,wrangler-dev]
 * ("node-sqld": the Node API with DATABASE_URL pointing at a local sqld; "node-traced": the Node API
 * exporting every request's span to a local Zipkin, dev/zipkin). `--trace` is `--runtimes
 * node,node-traced` and prints the export's overhead, endpoint by endpoint, from that same run.
 * `--accept-encoding "gzip, deflate, br"` sends that header with every request (the anchor too), as
 * browsers and mobile HTTP stacks do: Node then compresses answers of 1 KB and more.
 */
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { context, trace } from "@opentelemetry/api";
import autocannon from "autocannon";
import { z } from "zod";
import { bufferedStdoutWriter } from "../../api/platform/node/log-writer.ts";
import { parseEnv, tracingVars } from "../../core/config/env.ts";
import { createLogger, silentLogger } from "../../core/observability/logger.ts";
import { createTenantWithAdminKey } from "../../core/tenants/tenants.service.ts";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { startTracing } from "../../platform/tracing.ts";
import { freePort, waitFor } from "../net.ts";
import { nodeFlags } from "../node-flags.ts";
import { startSqld } from "../sqld.ts";
import { startZipkin } from "../zipkin/server.ts";
import { athensApartment } from "./home.ts";
import { groupCpuUs, spawnGroup, stopGroup } from "./processes.ts";
import { median } from "./stats.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "32" },
    runtimes: { type: "string", default: "node,workerd" },
    trace: { type: "boolean", default: false },
    "accept-encoding": { type: "string" },
  },
});
const durationS = Number(values.duration);
/** Sent with every request when given, as real clients send `Accept-Encoding: gzip, deflate, br`. */
const acceptEncoding = values["accept-encoding"];
const connections = Number(values.connections);
const runtimes = values.trace ? ["node", "node-traced"] : (values.runtimes as string).split(",");

const tracingDefaults = parseEnv("bench", z.object(tracingVars), {});

const limits = {
  RATE_LIMIT_PER_S: "100000",
  RATE_LIMIT_BURST: "1000000",
  LOG_LEVEL: "info",
  AUTH_CACHE_TTL_MS: "10000",
};

interface Target {
  name: string;
  url: string;
  key: string;
  /** The server's process group, whose CPU time is counted per request. */
  pgid?: number | undefined;
  /** The libSQL server's process group (sqld), counted apart; none for an embedded file. */
  databasePgid?: () => number | undefined;
  stop(): Promise<void>;
}

async function seed(url: string) {
  const { db, close } = await openDatabase({ url });
  await applyMigrations(db);
  const { apiKey } = await createTenantWithAdminKey(db, { name: "bench", nowMs: Date.now() });
  close();
  return apiKey.key;
}

/** The Node API (`api/node.ts`) in its own process group on `databaseUrl`, seeded with a tenant. */
async function startNodeApi(
  name: string,
  databaseUrl: string,
  cleanup: () => Promise<void>,
  env: Record<string, string> = {},
  databasePgid?: () => number | undefined,
): Promise<Target> {
  const key = await seed(databaseUrl);
  const port = await freePort();
  const proc = spawnGroup(process.execPath, [...nodeFlags, "api/node.ts"], {
    ...limits,
    PORT: String(port),
    API_METRICS_PORT: String(await freePort()),
    DATABASE_URL: databaseUrl,
    DATABASE_MIGRATE_ON_START: "false",
    KAFKA_BROKERS: "",
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor("node api", async () => (await fetch(`${url}/health/ready`)).ok, {
    timeoutMs: 30_000,
  });
  return {
    name,
    url,
    key,
    pgid: proc.pid,
    databasePgid,
    stop: async () => {
      await stopGroup(proc);
      await cleanup();
    },
  };
}

async function startNode(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), "gridpulse-bench-"));
  return startNodeApi("node (embedded file)", `file:${join(dir, "bench.db")}`, async () =>
    rmSync(dir, { recursive: true, force: true }),
  );
}

/** The Node API exporting a span per request (sampler always on) to a local Zipkin. */
async function startNodeTraced(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), "gridpulse-bench-"));
  const zipkin = await startZipkin({ logDir: dir });
  const env = {
    OTEL_TRACES_EXPORTER: "zipkin",
    OTEL_EXPORTER_ZIPKIN_ENDPOINT: zipkin.spansEndpoint,
    OTEL_TRACES_SAMPLER: "always_on",
  };
  return startNodeApi(
    "node (embedded file, traces to zipkin)",
    `file:${join(dir, "bench.db")}`,
    async () => {
      await zipkin.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    env,
  );
}

/** The Node API against a local sqld (DATABASE_URL = its URL): the remote-database path on Node. */
async function startNodeSqld(): Promise<Target> {
  const sqld = await startSqld();
  return startNodeApi(
    "node (sqld)",
    sqld.url,
    () => sqld.dispose(),
    {},
    () => sqld.pid,
  );
}

/**
 * The bundle on `workerd serve`, self-hosted (stdout read by a log collector): its
 * access-log lines gathered 5 ms per write (`LOG_BATCH_MS`, api/platform/worker/batched-console.ts).
 * `vars` override its bindings.
 */
async function startRawWorkerd(
  vars: Record<string, string> = {},
  name = "workerd (bundle, sqld)",
): Promise<Target> {
  const sqld = await startSqld();
  const key = await seed(sqld.url);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "gridpulse-bench-workerd-"));
  execFileSync(
    join(root, "node_modules/.bin/wrangler"),
    ["deploy", "--dry-run", "--outdir", dir, "--config", "dev/bench/wrangler.bench.toml"],
    {
      cwd: root,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
      stdio: "ignore",
    },
  );
  const bindings = Object.entries({
    ...limits,
    LOG_BATCH_MS: "5",
    DATABASE_URL: sqld.url,
    SERVICE_NAME: "edge-api",
    ...vars,
  })
    .map(([name, value]) => `(name = "${name}", text = "${value}")`)
    .join(", ");
  writeFileSync(
    join(dir, "config.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .api), (name = "internet", network = (allow = ["public", "private", "local"])) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const api :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed "worker.js") ],
  compatibilityDate = "2026-11-01",
  bindings = [ ${bindings} ],
  globalOutbound = "internet",
);
`,
  );
  const proc = spawnGroup(
    join(root, "node_modules/.bin/workerd"),
    ["serve", join(dir, "config.capnp")],
    {},
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor("workerd api", async () => (await fetch(`${url}/health/ready`)).ok, {
    timeoutMs: 60_000,
  });
  return {
    name,
    url,
    key,
    pgid: proc.pid,
    databasePgid: () => sqld.pid,
    stop: async () => {
      await stopGroup(proc);
      await sqld.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startWranglerDev(): Promise<Target> {
  const sqld = await startSqld();
  const key = await seed(sqld.url);
  const port = await freePort();
  const vars = Object.entries({ ...limits, DATABASE_URL: sqld.url }).flatMap(([k, v]) => [
    "--var",
    `${k}:${v}`,
  ]);
  const proc = spawnGroup(
    join(root, "node_modules/.bin/wrangler"),
    [
      "dev",
      "--config",
      "dev/bench/wrangler.bench.toml",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(await freePort()),
      "--persist-to",
      join(sqld.dataDir, "wrangler"),
      "--show-interactive-dev-session=false",
      ...vars,
    ],
    { WRANGLER_SEND_METRICS: "false" },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor("workerd api", async () => (await fetch(`${url}/health/ready`)).ok, {
    timeoutMs: 60_000,
  });
  return {
    name: "wrangler dev (sqld)",
    url,
    key,
    databasePgid: () => sqld.pid,
    stop: async () => {
      await stopGroup(proc);
      await sqld.dispose();
    },
  };
}

const home = JSON.stringify(athensApartment);

type Baseline = "health" | "me" | "anchor";
interface Endpoint {
  name: string;
  path: string;
  auth: boolean;
  body?: string;
  /** What the endpoint's req/s is divided by (measured in the same run). */
  vs: Baseline;
  /** Measured against the anchor process rather than the API. */
  anchor?: boolean;
}

// GET /health/live: the trivial Hono JSON route; GET /v1/me: the cheapest authenticated route; the
// anchor: a bare Hono app that validates and assesses without auth, storage or logs.
const endpoints: Endpoint[] = [
  { name: "GET /health/live", path: "/health/live", auth: false, vs: "health" },
  { name: "GET /v1/me (auth, cached key)", path: "/v1/me", auth: true, vs: "health" },
  {
    name: "anchor: POST validate + assess()",
    path: "/anchor/assess",
    auth: false,
    body: home,
    vs: "anchor",
    anchor: true,
  },
  {
    name: "POST /v1/assessments (full view)",
    path: "/v1/assessments",
    auth: true,
    body: home,
    vs: "anchor",
  },
  {
    name: "POST /v1/assessments?view=summary",
    path: "/v1/assessments?view=summary",
    auth: true,
    body: home,
    vs: "anchor",
  },
  { name: "GET /v1/assessments/{id} (full)", path: "/v1/assessments/{id}", auth: true, vs: "me" },
  {
    name: "GET /v1/assessments/{id}?view=summary",
    path: "/v1/assessments/{id}?view=summary",
    auth: true,
    vs: "me",
  },
  { name: "GET /v1/assessments (list)", path: "/v1/assessments", auth: true, vs: "me" },
  { name: "GET /v1/api-keys (list)", path: "/v1/api-keys", auth: true, vs: "me" },
  { name: "GET /v1/slos (list)", path: "/v1/slos", auth: true, vs: "me" },
  { name: "GET /v1/alert-rules (list)", path: "/v1/alert-rules", auth: true, vs: "me" },
  { name: "GET /v1/silences (list)", path: "/v1/silences", auth: true, vs: "me" },
  { name: "GET /v1/alerts (list)", path: "/v1/alerts", auth: true, vs: "me" },
  { name: "GET /v1/webhooks (list)", path: "/v1/webhooks", auth: true, vs: "me" },
  {
    name: "GET /v1/push/subscriptions (list)",
    path: "/v1/push/subscriptions",
    auth: true,
    vs: "me",
  },
  { name: "GET /v1/market/events (list)", path: "/v1/market/events", auth: true, vs: "me" },
];

async function measure(
  url: string,
  key: string,
  path: string,
  auth: boolean,
  body?: string,
  pgid?: number,
  databasePgid?: number,
) {
  const cpuBefore = groupCpuUs(pgid);
  const databaseCpuBefore = groupCpuUs(databasePgid);
  const result = await autocannon({
    url: `${url}${path}`,
    connections,
    duration: durationS,
    headers: {
      ...(auth ? { authorization: `Bearer ${key}` } : {}),
      ...(body ? { "content-type": "application/json" } : {}),
      ...(acceptEncoding ? { "accept-encoding": acceptEncoding } : {}),
    },
    ...(body ? { method: "POST" as const, body } : {}),
  });
  const requests = result.requests.total;
  return {
    reqPerS: Math.round(result.requests.average),
    /** Server CPU per request (all its threads and child processes), µs. */
    cpuUs: Math.round((groupCpuUs(pgid) - cpuBefore) / requests),
    /** The libSQL server's CPU per request, µs (NaN: none). */
    databaseCpuUs: Math.round((groupCpuUs(databasePgid) - databaseCpuBefore) / requests),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/**
 * On workerd the access log's cost is its `console.log` (a write to stdout), which a measurement in
 * this process would miss: `GET /v1/me` on `target` (lines gathered 5 ms per write), on the same
 * bundle writing one line per call (`LOG_BATCH_MS=0`, as on Cloudflare) and without access log
 * (`LOG_LEVEL=warn`), alternating, three rounds; each share is one minus the ratio of the medians'
 * server CPU per request.
 */
async function workerdAccessLogShare(target: Target): Promise<string> {
  const perCall = await startRawWorkerd({ LOG_BATCH_MS: "0" }, "workerd (a write per line)");
  const quiet = await startRawWorkerd({ LOG_LEVEL: "warn" }, "workerd (no access log)");
  try {
    const variants = [
      { name: "lines gathered 5 ms (LOG_BATCH_MS=5)", target, cpuUs: [] as number[] },
      { name: "a write per line (LOG_BATCH_MS=0)", target: perCall, cpuUs: [] as number[] },
      { name: "no access log (LOG_LEVEL=warn)", target: quiet, cpuUs: [] as number[] },
    ];
    for (let round = 0; round < 3; round++) {
      process.stderr.write(`workerd access log: GET /v1/me, round ${round + 1} of 3\n`);
      for (const v of variants) {
        const t = v.target;
        const auth = { authorization: `Bearer ${t.key}` };
        await autocannon({ url: `${t.url}/v1/me`, connections, duration: 1, headers: auth });
        v.cpuUs.push((await measure(t.url, t.key, "/v1/me", true, undefined, t.pgid)).cpuUs);
      }
    }
    const without = median(variants[2]?.cpuUs ?? []);
    const share = (xs: number[]) => `${(100 * (1 - without / median(xs))).toFixed(1)} %`;
    return `workerd GET /v1/me, server CPU µs per request (3 alternating rounds): ${variants.map((v) => `${v.name} ${v.cpuUs.join(", ")}`).join("; ")}. The access log's share of a request: ${share(variants[0]?.cpuUs ?? [])} gathered, ${share(variants[1]?.cpuUs ?? [])} a write per line`;
  } finally {
    await perCall.stop();
    await quiet.stop();
  }
}

/** µs of CPU per access-log line as the API writes it (child logger, line, buffered write to /dev/null). */
function accessLogLineUs(inSpan = false): number {
  const devNull = openSync("/dev/null", "w");
  const writer = bufferedStdoutWriter({
    out: (chunk) => writeSync(devNull, chunk),
    outSync: (chunk) => writeSync(devNull, chunk),
  });
  const logger = createLogger({ service: "gridpulse-api", level: "info", writer });
  const lines = 200_000;
  const line = (i: number) =>
    logger
      .child({ requestId: `0b8f9c1e-3f4a-4c7d-9e2b-${String(i).padStart(12, "0")}` })
      .info("request", {
        method: "GET",
        route: "/v1/me",
        status: 200,
        durationMs: 0.412,
      });
  const run = () => {
    for (let i = 0; i < 20_000; i++) line(i); // warm up
    const started = process.cpuUsage();
    for (let i = 0; i < lines; i++) line(i);
    writer.flush();
    return process.cpuUsage(started);
  };
  let used: NodeJS.CpuUsage;
  if (inSpan) {
    // As in a traced API process: the SDK registered, the line written inside a request's span
    // (the span is never ended, so nothing is exported).
    const tracing = startTracing(
      { ...tracingDefaults, OTEL_TRACES_EXPORTER: "console" },
      { serviceName: "bench", logger: silentLogger },
    );
    const span = trace.getTracer("bench").startSpan("request");
    used = context.with(trace.setSpan(context.active(), span), run);
    void tracing;
  } else {
    used = run();
  }
  closeSync(devNull);
  return (used.user + used.system) / lines;
}

/** The anchor app in its own process. */
async function startAnchor(): Promise<{ url: string; pgid?: number; stop(): Promise<void> }> {
  const port = await freePort();
  const proc = spawnGroup(process.execPath, [...nodeFlags, "dev/bench/anchor.ts"], {
    PORT: String(port),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor("anchor", async () => (await fetch(`${url}/health/ready`)).ok, {
    timeoutMs: 30_000,
  });
  return { url, pgid: proc.pid as number, stop: () => stopGroup(proc) };
}

/** A few rows in every list (an SLO, a rule on it, a silence; assessments come from the POST runs). */
async function seedLists(target: Target) {
  const call = async (path: string, body: unknown) => {
    const res = await fetch(`${target.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${target.key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!res.ok) process.stderr.write(`seed ${path}: ${res.status} ${await res.text()}\n`);
    return res.ok ? ((await res.json()) as { id: string }) : undefined;
  };
  for (let i = 0; i < 5; i++) await call("/v1/api-keys", { name: `bench ${i}`, scopes: ["read"] });
  for (let i = 0; i < 3; i++)
    await call("/v1/slos", {
      name: `bench availability ${i}`,
      service: "edge-api",
      sli: { kind: "availability" },
      objective: 0.999,
      window: { kind: "rolling", days: 30 },
    });
  await call("/v1/silences", {
    matchers: [{ name: "service", type: "=", value: "edge-api" }],
    startsAt: new Date().toISOString(),
    endsAt: new Date(Date.now() + 3_600_000).toISOString(),
    comment: "bench",
  });
}

const rows: Record<string, string | number>[] = [];
const anchor = await startAnchor();
const accessLog: string[] = [];
for (const runtime of runtimes) {
  const target =
    runtime === "node"
      ? await startNode()
      : runtime === "node-sqld"
        ? await startNodeSqld()
        : runtime === "node-traced"
          ? await startNodeTraced()
          : runtime === "workerd"
            ? await startRawWorkerd()
            : await startWranglerDev();
  try {
    // Warm up (JIT, auth cache, connection pools).
    await autocannon({
      url: `${target.url}/v1/me`,
      connections,
      duration: 2,
      headers: { authorization: `Bearer ${target.key}` },
    });
    await seedLists(target);
    const created = await fetch(`${target.url}/v1/assessments`, {
      method: "POST",
      headers: { authorization: `Bearer ${target.key}`, "content-type": "application/json" },
      body: home,
    });
    const assessmentId = ((await created.json()) as { id: string }).id;
    const baselines: Record<Baseline, number> = { health: 0, me: 0, anchor: 0 };
    for (const endpoint of endpoints) {
      const path = endpoint.path.replace("{id}", assessmentId);
      process.stderr.write(`${target.name}: ${endpoint.name} for ${durationS} s\n`);
      const m = endpoint.anchor
        ? await measure(anchor.url, "", path, false, endpoint.body, anchor.pgid)
        : await measure(
            target.url,
            target.key,
            path,
            endpoint.auth,
            endpoint.body,
            target.pgid,
            target.databasePgid?.(),
          );
      if (endpoint.path === "/health/live") baselines.health = m.reqPerS;
      if (endpoint.path === "/v1/me") baselines.me = m.reqPerS;
      if (endpoint.anchor) baselines.anchor = m.reqPerS;
      rows.push({
        runtime: endpoint.anchor ? "anchor (node)" : target.name,
        endpoint: endpoint.name,
        "req/s": m.reqPerS,
        "p50 ms": m.p50Ms,
        "p99 ms": m.p99Ms,
        ratio:
          `${(m.reqPerS / baselines[endpoint.vs]).toFixed(2)} x ${endpoint.vs}` +
          // A POST also next to /v1/me of its own runtime (how it is judged over a libSQL server).
          (endpoint.vs === "anchor" && !endpoint.anchor
            ? `; ${(m.reqPerS / baselines.me).toFixed(2)} x me`
            : ""),
        "server CPU µs/req": m.cpuUs,
        "sqld CPU µs/req": endpoint.anchor || Number.isNaN(m.databaseCpuUs) ? "—" : m.databaseCpuUs,
        "non-2xx": m.non2xx,
        errors: m.errors,
      });
    }
    if (runtime === "node") {
      // The access log's share of a request: what one access-log line costs (a request's child
      // logger, the line, the buffered writer to /dev/null, measured here over many lines) against the
      // server CPU per request of the cheapest authenticated route and of an assessment.
      const lineUs = accessLogLineUs();
      const tracedLineUs = accessLogLineUs(true);
      accessLog.push(
        `one line inside a span (trace export on: trace_id and span_id looked up and written): ${tracedLineUs.toFixed(2)} µs vs ${lineUs.toFixed(2)} µs without`,
      );
      for (const name of ["GET /v1/me", "POST /v1/assessments (full view)"]) {
        const row = rows.find(
          (r) => r.runtime === target.name && String(r.endpoint).startsWith(name),
        );
        const cpuUs = Number(row?.["server CPU µs/req"]);
        accessLog.push(
          `${name}: one access-log line costs ${lineUs.toFixed(2)} µs of CPU, ${((100 * lineUs) / cpuUs).toFixed(1)} % of the ${cpuUs} µs of server CPU per request`,
        );
      }
    }
    if (runtime === "workerd") accessLog.push(await workerdAccessLogShare(target));
  } finally {
    process.stderr.write(`${target.name}: stopping\n`);
    await target.stop();
  }
}
await anchor.stop();
console.log(
  `autocannon: ${connections} connections, ${durationS} s per endpoint, loopback, same 2-core machine as the server${acceptEncoding ? `; Accept-Encoding: ${acceptEncoding}` : ""}`,
);
console.table(rows);
for (const line of accessLog) console.log(`access log: ${line}`);
const traced = rows.filter((r) => String(r.runtime).includes("traces to zipkin"));
for (const t of traced) {
  const plain = rows.find((r) => r.runtime === "node (embedded file)" && r.endpoint === t.endpoint);
  if (!plain) continue;
  console.log(
    `trace export: ${t.endpoint}: ${(Number(t["req/s"]) / Number(plain["req/s"])).toFixed(3)} x the req/s without export, ` +
      `server CPU ${t["server CPU µs/req"]} vs ${plain["server CPU µs/req"]} µs/req (${(Number(t["server CPU µs/req"]) / Number(plain["server CPU µs/req"])).toFixed(2)} x)`,
  );
}
