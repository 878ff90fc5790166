/**
 * `npm run bench:benchmarks`: latency and throughput of `GET /v1/assessments/:id/benchmark` and
 * `GET /v1/benchmarks` on the Node API over the database of the local stack (DATABASE_URL or
 * GRIDPULSE_DATA_DIR), next to `GET /health/live` as the baseline of the same run. Seed the reference
 * stock first (`npm run seed -- --count 1000000`); the script prints how many homes it holds and the
 * database size. Latency (p50/p99) is measured with one connection, then throughput and latency under
 * load with --connections.
 *   --duration S (default 10) --connections N (default 16)
 *   --only benchmark|cohort: the baseline and that endpoint only
 *   --cpu-prof DIR: the API runs with --cpu-prof and writes its profile(s) to DIR when it stops
 * Before the HTTP runs it times, in this process, the fresh percentile-rank read that a request makes
 * once a cohort has moved since its summary was loaded (core/benchmark/store.ts ranksStatement), for
 * the largest cohorts of the stock: scanning up from the home's bin (the form before 2026-12-07)
 * against the side scanSide picks.
 */
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { REFERENCE_SCOPE } from "../../core/benchmark/store.ts";
import { libsqlClient } from "../../core/db/database.ts";
import { createTenantWithAdminKey } from "../../core/tenants/tenants.service.ts";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { databaseFileBytes, openDatabase } from "../../platform/db/open.ts";
import { loadStackConfig } from "../config.ts";
import { freePort, waitFor } from "../net.ts";
import { spawnGroup, stopGroup } from "./processes.ts";
import { RANK_READS, rankReads } from "./rank-reads.ts";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "16" },
    only: { type: "string" },
    "cpu-prof": { type: "string" },
  },
});
const durationS = Number(values.duration);
const connections = Number(values.connections);
const config = loadStackConfig(process.env);

const { db, close } = await openDatabase({
  url: config.DATABASE_URL,
  authToken: config.DATABASE_AUTH_TOKEN,
});
await applyMigrations(db);
const stock = await libsqlClient(db).execute({
  sql: "select homes from cohort_stats where scope = ? and cohort = '*'",
  args: [REFERENCE_SCOPE],
});
const stockHomes = Number(stock.rows[0]?.homes ?? 0);
const { apiKey } = await createTenantWithAdminKey(db, { name: "bench", nowMs: Date.now() });
if (values.only !== "cohort") {
  console.log(
    `fresh rank reads (home and package, one statement) in ${REFERENCE_SCOPE}'s largest cohorts, ${RANK_READS} reads each, µs per read:`,
  );
  console.table(await rankReads(libsqlClient(db), REFERENCE_SCOPE));
}
close();
const bytes = databaseFileBytes(config.DATABASE_URL);
const sizeMiB = bytes === undefined ? "n/a" : (bytes / 2 ** 20).toFixed(0);

const port = await freePort();
const nodeFlags = [
  "--max-semi-space-size=8",
  ...(values["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${values["cpu-prof"]}`] : []),
];
const proc = spawnGroup(process.execPath, [...nodeFlags, "api/node.ts"], {
  PORT: String(port),
  API_METRICS_PORT: String(await freePort()),
  DATABASE_URL: config.DATABASE_URL,
  ...(config.DATABASE_AUTH_TOKEN ? { DATABASE_AUTH_TOKEN: config.DATABASE_AUTH_TOKEN } : {}),
  KAFKA_BROKERS: "",
  RATE_LIMIT_PER_S: "100000",
  RATE_LIMIT_BURST: "1000000",
  LOG_LEVEL: "error",
  AUTH_CACHE_TTL_MS: "10000",
});
const url = `http://127.0.0.1:${port}`;
const auth = { authorization: `Bearer ${apiKey.key}` };
try {
  await waitFor("node api", async () => (await fetch(`${url}/health/ready`)).ok, {
    timeoutMs: 30_000,
  });

  // Homes to benchmark: a spread of zones, types, periods and sizes (different cohorts and bins).
  const prefectures = ["Attica", "Thessaloniki", "Heraklion", "Kozani", "Achaia", "Larisa"];
  const types = ["apartment", "detached_house", "apartment_block"] as const;
  const ids: string[] = [];
  for (let i = 0; i < 24; i++) {
    const type = types[i % 3] as (typeof types)[number];
    const res = await fetch(`${url}/v1/assessments`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({
        location: { prefecture: prefectures[i % prefectures.length] },
        buildingType: type,
        constructionYear: 1955 + ((i * 7) % 68),
        heatedFloorAreaM2: type === "apartment_block" ? 600 + 40 * i : 45 + 9 * i,
        storeys: type === "apartment_block" ? 5 : 1 + (i % 2),
      }),
    });
    if (res.status !== 201)
      throw new Error(`POST /v1/assessments: ${res.status} ${await res.text()}`);
    ids.push(((await res.json()) as { id: string }).id);
  }
  const filters = [
    "zone=B&buildingType=apartment&period=1981-2000&areaBand=80-119",
    "zone=C&buildingType=detached_house&constructionYear=1975",
    "zone=A&buildingType=apartment",
    "buildingType=detached_house",
    "zone=D",
    "",
  ];

  const all = [
    { name: "GET /health/live (baseline)", paths: ["/health/live"] },
    {
      name: "GET /v1/assessments/:id/benchmark",
      paths: ids.map((id) => `/v1/assessments/${id}/benchmark`),
    },
    {
      name: "GET /v1/benchmarks?<cohort filters>",
      paths: filters.map((f) => `/v1/benchmarks?${f}`),
    },
  ];
  // --only benchmark|cohort: the baseline and one endpoint (e.g. for a CPU profile of one path).
  const endpoints = values.only
    ? all.filter(
        (e, i) => i === 0 || e.name.includes(values.only === "cohort" ? "?" : ":id/benchmark"),
      )
    : all;
  const run = async (paths: string[], conns: number, seconds: number) => {
    let i = 0;
    const result = await autocannon({
      url,
      connections: conns,
      duration: seconds,
      headers: auth,
      requests: [
        {
          setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length] as string }),
        },
      ],
    });
    return result;
  };
  for (const e of endpoints) await run(e.paths, connections, 2); // warm up

  const rows: Record<string, string | number>[] = [];
  let baseline = 0;
  for (const e of endpoints) {
    const latency = await run(e.paths, 1, durationS);
    const load = await run(e.paths, connections, durationS);
    if (baseline === 0) baseline = load.requests.average;
    rows.push({
      endpoint: e.name,
      "p50 ms (1 conn)": latency.latency.p50,
      "p99 ms (1 conn)": latency.latency.p99,
      [`req/s (${connections} conns)`]: Math.round(load.requests.average),
      [`p50 ms (${connections} conns)`]: load.latency.p50,
      [`p99 ms (${connections} conns)`]: load.latency.p99,
      "vs baseline": (load.requests.average / baseline).toFixed(2),
      "non-2xx": latency.non2xx + load.non2xx,
      errors: latency.errors + load.errors,
    });
  }
  console.log(
    `reference stock: ${stockHomes.toLocaleString("en")} homes; database ${sizeMiB} MiB; Node API on loopback, autocannon ${durationS} s per measurement, same 2-core machine`,
  );
  console.table(rows);
} finally {
  await stopGroup(proc);
}
