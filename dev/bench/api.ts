/**
 * `npm run bench:api`: HTTP throughput and latency of the edge API on loopback, with autocannon, on
 * Node (embedded libSQL file) and on local workerd against sqld, endpoint by endpoint, each next to
 * `GET /health/live` measured in the same run as the baseline. "workerd" runs the production bundle
 * (`wrangler deploy --dry-run`) on `workerd serve` directly; "wrangler-dev" goes through `wrangler dev`,
 * whose local proxy costs most of the throughput.
 *   --duration S (default 10) --connections N (default 32) --runtimes node,workerd[,wrangler-dev]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { applyMigrations } from "../../core/db/migrate.node.ts";
import { openDatabase } from "../../core/db/open.node.ts";
import { createTenantWithAdminKey } from "../../core/tenants/tenants.service.ts";
import { freePort, waitFor } from "../net.ts";
import { startSqld } from "../sqld.ts";
import { spawnGroup, stopGroup } from "./processes.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "32" },
    runtimes: { type: "string", default: "node,workerd" },
  },
});
const durationS = Number(values.duration);
const connections = Number(values.connections);
const runtimes = (values.runtimes as string).split(",");

const limits = {
  RATE_LIMIT_PER_S: "100000",
  RATE_LIMIT_BURST: "1000000",
  LOG_LEVEL: "error",
  AUTH_CACHE_TTL_MS: "10000",
};

interface Target {
  name: string;
  url: string;
  key: string;
  stop(): Promise<void>;
}

async function seed(url: string) {
  const { db, close } = await openDatabase({ url });
  await applyMigrations(db);
  const { apiKey } = await createTenantWithAdminKey(db, { name: "bench", nowMs: Date.now() });
  close();
  return apiKey.key;
}

async function startNode(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), "gridpulse-bench-"));
  const dbUrl = `file:${join(dir, "bench.db")}`;
  const key = await seed(dbUrl);
  const port = await freePort();
  const proc = spawnGroup(process.execPath, ["api/node.ts"], {
    ...limits,
    PORT: String(port),
    API_METRICS_PORT: String(await freePort()),
    DATABASE_URL: dbUrl,
    KAFKA_BROKERS: "",
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor("node api", async () => (await fetch(`${url}/health/ready`)).ok, {
    timeoutMs: 30_000,
  });
  return {
    name: "node (embedded file)",
    url,
    key,
    stop: async () => {
      await stopGroup(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startRawWorkerd(): Promise<Target> {
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
  const bindings = Object.entries({ ...limits, DATABASE_URL: sqld.url, SERVICE_NAME: "edge-api" })
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
    name: "workerd (bundle, sqld)",
    url,
    key,
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
    stop: async () => {
      await stopGroup(proc);
      await sqld.dispose();
    },
  };
}

/** A 1990s apartment in Athens with gas heating: the richest request (engine + package search + insert). */
const home = JSON.stringify({
  location: { prefecture: "Attica" },
  buildingType: "apartment",
  constructionYear: 1994,
  heatedFloorAreaM2: 85,
  storeys: 1,
  apartmentPosition: "middle",
  systems: {
    heating: { type: "gas_boiler" },
    cooling: { type: "split_units" },
    hotWater: { type: "electric" },
  },
});

// GET /health/live is the trivial Hono JSON route every other endpoint is compared with.
const endpoints: { name: string; path: string; auth: boolean; body?: string }[] = [
  { name: "GET /health/live (baseline)", path: "/health/live", auth: false },
  { name: "GET /v1/me (auth, cached key)", path: "/v1/me", auth: true },
  { name: "GET /v1/api-keys (auth + list query)", path: "/v1/api-keys", auth: true },
  {
    name: "POST /v1/assessments (engine + store)",
    path: "/v1/assessments",
    auth: true,
    body: home,
  },
];

async function measure(target: Target, path: string, auth: boolean, body?: string) {
  const result = await autocannon({
    url: `${target.url}${path}`,
    connections,
    duration: durationS,
    headers: {
      ...(auth ? { authorization: `Bearer ${target.key}` } : {}),
      ...(body ? { "content-type": "application/json" } : {}),
    },
    ...(body ? { method: "POST" as const, body } : {}),
  });
  return {
    reqPerS: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

const rows: Record<string, string | number>[] = [];
for (const runtime of runtimes) {
  const target =
    runtime === "node"
      ? await startNode()
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
    let baseline = 0;
    for (const endpoint of endpoints) {
      process.stderr.write(`${target.name}: ${endpoint.name} for ${durationS} s\n`);
      const m = await measure(target, endpoint.path, endpoint.auth, endpoint.body);
      if (endpoint.auth === false) baseline = m.reqPerS;
      rows.push({
        runtime: target.name,
        endpoint: endpoint.name,
        "req/s": m.reqPerS,
        "p50 ms": m.p50Ms,
        "p99 ms": m.p99Ms,
        "vs baseline": (m.reqPerS / baseline).toFixed(2),
        "non-2xx": m.non2xx,
        errors: m.errors,
      });
    }
  } finally {
    process.stderr.write(`${target.name}: stopping\n`);
    await target.stop();
  }
}
console.log(
  `autocannon: ${connections} connections, ${durationS} s per endpoint, loopback, same 2-core machine as the server`,
);
console.table(rows);
