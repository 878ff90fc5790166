/**
 * Alert evaluator tick lag: how long a tick takes (from its `now` until every due tenant's step is
 * written) at steady traffic, on a libSQL file.
 *
 *     node stream/alerts/bench.ts [tenants] [--processes=N] [--seconds=S] [--full] [--services=K]
 *       [--active=F] [--ticks]
 *
 * Each tenant has an SLO (two burn tiers), three rules (latency p99 over 5m, a price threshold and a
 * price % change over 1h), a policy and a webhook; tenants share K services (default tenants/50, at
 * least 20). Half of the services are failing and slow, so those tenants' alerts fire at the first
 * tick. Steady traffic: every second the bench upserts the current minute bucket of every service
 * (as stage 2 does; `--active=0.1`: a rotating tenth of them) and every 10 s a price event arrives. With one process the stage runs in this
 * process; with N, N real child processes run a stage each against the same file (shards spread over
 * them by their leases) while this process writes the traffic. `--full` evaluates every tenant at
 * every tick (the previous behaviour) instead of only due ones. `--ticks` prints every tick (start
 * second, wall and CPU ms, steps) to stderr: with `--active` the slow ticks are the first seconds
 * (each tenth of the failing tenants fires as its services get data), the price ticks (every 10 s,
 * every tenant with a price rule is due) and the minute turns (every SLO and latency rule is due).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { alertRuleSchema } from "../../core/alerts/index.ts";
import { type Database, libsqlClient } from "../../core/db/database.ts";
import {
  alertRules,
  notificationPolicies,
  requestMinutes,
  slos,
  tenants as tenantTable,
  webhookEndpoints,
} from "../../core/db/schema/index.ts";
import {
  encodeHistogram,
  newLatencyHistogram,
  recordDurationMs,
} from "../../core/latency/histogram.ts";
import { createLogger } from "../../core/observability/logger.ts";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { createAlertStage } from "./alerts.stage.ts";
import { createAlertMetrics } from "./metrics.ts";
import {
  fastBurnSlo,
  insertMarketEvent,
  memoryKafka,
  memoryRelay,
  priceEvent,
  sloRow,
} from "./testing.ts";

const flags = new Map(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith("--"))
    .map((a) => {
      const [k, v] = a.slice(2).split("=");
      return [k as string, v ?? "true"];
    }),
);
const positional = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const tenantCount = Number(positional[0] ?? 1000);
const processes = Number(flags.get("processes") ?? 1);
const seconds = Number(flags.get("seconds") ?? 20);
const full = flags.has("full");
const serviceCount = Number(flags.get("services") ?? Math.max(20, Math.round(tenantCount / 50)));
/** Share of the services that get new data each second (rotating): 1 = every service every second. */
const active = Number(flags.get("active") ?? 1);
const stride = Math.max(1, Math.round(1 / active));

interface TickSample {
  ms: number;
  /** CPU time of this process during the tick (user + system; the traffic writer's share included). */
  cpuMs: number;
  steps: number;
  shards: number;
}

/** Runs a stage for `seconds`, ticking every second; returns every tick's duration. */
async function runStage(url: string, label: string): Promise<TickSample[]> {
  const opened = await openDatabase({ url });
  const kafka = memoryKafka();
  const stage = createAlertStage({
    db: opened.db,
    relay: memoryRelay(libsqlClient(opened.db), kafka.kafka),
    metrics: createAlertMetrics([new Registry()]),
    logger: createLogger({ service: "bench", level: "silent" }),
    now: Date.now,
    intervalMs: 1000,
    // Longer than the heaviest tick (the first: every failing tenant fires at once), as a deployment
    // must set STREAM_ALERT_LEASE_MS.
    leaseMs: 120_000,
    holder: label,
    incremental: !full,
  });
  // As `start` does: heartbeat first, then (all processes of the run being up) the first tick.
  await stage.join();
  await new Promise((r) => setTimeout(r, processes > 1 ? 3000 : 0));
  const samples: TickSample[] = [];
  const endAtMs = Date.now() + seconds * 1000;
  while (Date.now() < endAtMs) {
    const startedAtMs = Date.now();
    const cpu = process.cpuUsage();
    await stage.tick();
    const used = process.cpuUsage(cpu);
    if (flags.has("ticks"))
      process.stderr.write(
        `${label} tick at :${new Date(startedAtMs).toISOString().slice(17, 23)} ${Date.now() - startedAtMs} ms, CPU ${Math.round((used.user + used.system) / 1000)} ms, ${stage.lastTickSteps()} steps\n`,
      );
    samples.push({
      ms: Date.now() - startedAtMs,
      cpuMs: Math.round((used.user + used.system) / 1000),
      steps: stage.lastTickSteps(),
      shards: stage.heldShards().size,
    });
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - startedAtMs))));
  }
  await stage.stop();
  opened.close();
  return samples;
}

if (flags.has("worker")) {
  // A child process of a multi-process run.
  const samples = await runStage(flags.get("db") as string, flags.get("worker") as string);
  process.stdout.write(`${JSON.stringify(samples)}\n`);
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), "gridpulse-alerts-bench-"));
const url = `file:${join(dir, "alerts.db")}`;
const opened = await openDatabase({ url });
await applyMigrations(opened.db);
const db = opened.db;
const seedStartMs = Date.now();
await seed(db);
console.log(
  `seeded ${tenantCount} tenants over ${serviceCount} services in ${((Date.now() - seedStartMs) / 1000).toFixed(1)} s`,
);

let traffic = true;
const writer = (async () => {
  let n = 0;
  while (traffic) {
    const startedAtMs = Date.now();
    await writeTraffic(db, startedAtMs, n++);
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - startedAtMs))));
  }
})();

let results: { label: string; samples: TickSample[] }[];
if (processes === 1) {
  results = [{ label: "p1", samples: await runStage(url, "p1") }];
} else {
  results = await Promise.all(
    Array.from({ length: processes }, (_, i) => {
      const label = `p${i + 1}`;
      const child = spawn(
        process.execPath,
        [
          process.argv[1] as string,
          `--worker=${label}`,
          `--db=${url}`,
          `--seconds=${seconds}`,
          `--processes=${processes}`,
          ...(full ? ["--full"] : []),
          ...(flags.has("ticks") ? ["--ticks"] : []),
        ],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      let out = "";
      child.stdout.on("data", (d) => {
        out += d;
      });
      return new Promise<{ label: string; samples: TickSample[] }>((resolve, reject) =>
        child.on("exit", (code) =>
          code === 0
            ? resolve({ label, samples: JSON.parse(out.trim().split("\n").at(-1) as string) })
            : reject(new Error(`${label} exited with ${code}`)),
        ),
      );
    }),
  );
}
traffic = false;
await writer;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
};
console.log(
  `${tenantCount} tenants, ${processes} process(es), ${full ? "full" : "incremental"} evaluation, 1 s interval, ${seconds} s, new data for ${Math.ceil(serviceCount / stride)} of ${serviceCount} services per second`,
);
for (const { label, samples } of results) {
  const first = samples[0];
  // Steady: after the shards settled and the first evaluation of every tenant.
  const settledShards = samples.at(-1)?.shards ?? 0;
  const firstSettled = samples.findIndex((s, i) => i > 0 && s.shards === settledShards);
  const steady = samples.slice(Math.max(2, firstSettled + 2));
  const ms = steady.map((s) => s.ms);
  const cpu = steady.map((s) => s.cpuMs);
  console.log(
    `  ${label}: shards ${settledShards}; first tick ${first?.ms} ms (${first?.steps} steps); steady ticks (${steady.length}): median ${pct(ms, 0.5)} ms, p90 ${pct(ms, 0.9)} ms, max ${Math.max(0, ...ms)} ms, steps per tick median ${pct(
      steady.map((s) => s.steps),
      0.5,
    )}; CPU per tick median ${pct(cpu, 0.5)} ms, p90 ${pct(cpu, 0.9)} ms`,
  );
}
opened.close();
rmSync(dir, { recursive: true, force: true });

async function seed(db: Database) {
  const chunk = 400;
  for (let start = 0; start < tenantCount; start += chunk) {
    const ids = Array.from({ length: Math.min(chunk, tenantCount - start) }, (_, k) => start + k);
    const service = (i: number) => `svc-${i % serviceCount}`;
    await db
      .insert(tenantTable)
      .values(ids.map((i) => ({ id: `ten_${i}`, name: `t${i}`, createdAtMs: 0 })));
    await db
      .insert(slos)
      .values(ids.map((i) => sloRow(`ten_${i}`, `slo_${i}`, fastBurnSlo(service(i)))));
    const rules = ids.flatMap((i) =>
      [
        {
          id: `lat_${i}`,
          name: "Slow",
          kind: "latency_threshold",
          severity: "ticket",
          params: { service: service(i), quantile: "p99", window: "5m", thresholdMs: 500 },
        },
        {
          id: `pri_${i}`,
          name: "PriceHigh",
          kind: "market_price",
          severity: "info",
          params: { carrier: "electricity", condition: { op: "above", thresholdEurPerKwh: 0.3 } },
        },
        {
          id: `chg_${i}`,
          name: "PriceJump",
          kind: "market_price",
          severity: "info",
          params: {
            carrier: "electricity",
            condition: { op: "change_pct", window: "1h", pct: 50, direction: "rise" },
          },
        },
      ].map((input) => {
        const rule = alertRuleSchema.parse(input);
        return {
          id: rule.id,
          tenantId: `ten_${i}`,
          kind: rule.kind,
          rule,
          createdAtMs: 0,
          updatedAtMs: 0,
        };
      }),
    );
    await db.insert(alertRules).values(rules);
    await db.insert(notificationPolicies).values(
      ids.map((i) => ({
        id: `pol_${i}`,
        tenantId: `ten_${i}`,
        route: {
          id: "default",
          group_by: ["alertname", "slo_id"],
          group_wait: 0,
          group_interval: 60_000,
          repeat_interval: 3_600_000,
          send_resolved: true,
          escalate_immediately: true,
        },
        inhibitRules: null,
        updatedAtMs: 0,
      })),
    );
    await db.insert(webhookEndpoints).values(
      ids.map((i) => ({
        id: `whe_${i}`,
        tenantId: `ten_${i}`,
        url: `https://hooks.example.test/${i}`,
        format: "gridpulse" as const,
        secrets: [],
        disabledAtMs: null,
        createdAtMs: 0,
        updatedAtMs: 0,
      })),
    );
  }
}

/** Stage 2's steady writes: the current minute of every service; a price every 10 s. */
async function writeTraffic(db: Database, nowMs: number, n: number) {
  const bucketStartMs = nowMs - (nowMs % 60_000);
  const rows = Array.from({ length: serviceCount }, (_, s) => s)
    .filter((s) => s % stride === n % stride)
    .map((s) => {
      const failing = s % 2 === 1;
      const h = newLatencyHistogram();
      const total = 100 + (n % 50);
      for (let i = 0; i < total; i++) recordDurationMs(h, failing ? 900 : 10);
      const histogram = encodeHistogram(h);
      h.destroy();
      return {
        service: `svc-${s}`,
        route: "/a",
        bucketStartMs,
        total,
        good: failing ? 0 : total,
        goodWithin: {},
        histogram,
        updatedAtMs: nowMs,
      };
    });
  for (let i = 0; i < rows.length; i += 200) {
    for (const row of rows.slice(i, i + 200))
      await db
        .insert(requestMinutes)
        .values(row)
        .onConflictDoUpdate({
          target: [requestMinutes.service, requestMinutes.route, requestMinutes.bucketStartMs],
          set: { total: row.total, good: row.good, histogram: row.histogram, updatedAtMs: nowMs },
        });
  }
  if (n % 10 === 0)
    await insertMarketEvent(db, priceEvent(`p${n}-${nowMs}`, nowMs, 0.2 + (n % 3) * 0.01));
}
