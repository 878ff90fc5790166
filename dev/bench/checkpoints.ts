/**
 * `npm run bench:checkpoints -- [--requests N] [--rounds N] [--concurrency N]`: where an embedded
 * database's WAL checkpoints run, measured on the write path they slow down. The real API app in
 * process (no sockets) takes `POST /v1/assessments` with `concurrency` requests always in flight, on
 * a fresh embedded file per run, with checkpoints either in the commit that fills the WAL (SQLite's
 * own, `DATABASE_CHECKPOINT_INTERVAL_MS=0`) or on their thread (platform/db/checkpoints.ts, every
 * 250 ms). The two alternate, `rounds` times each. Printed per run: requests/s, the event loop's busy
 * time per request, the process's CPU per request, request latency p50/p99/max, how long group
 * commits held the event loop (p99 and longest: a checkpoint in a commit shows there), and the
 * checkpoints the thread ran; then the thread's figures over SQLite's own, medians of the rounds.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { createTenantWithAdminKey } from "../../core/tenants/tenants.service.ts";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { positiveIntegers } from "./args.ts";
import { athensApartment } from "./home.ts";
import { inProcessApp } from "./in-process-app.ts";
import { median, quantileOfSorted } from "./stats.ts";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "6000" },
    rounds: { type: "string", default: "3" },
    concurrency: { type: "string", default: "16" },
  },
});
const counts = positiveIntegers(values);

const body = JSON.stringify(athensApartment);

interface Run {
  reqPerS: number;
  loopUsPerReq: number;
  cpuUsPerReq: number;
  p50: number;
  p99: number;
  max: number;
  commitP99: number;
  commitMax: number;
  checkpoints: number;
}

async function run(intervalMs: number): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), "gridpulse-checkpoints-"));
  let checkpoints = 0;
  let commits: number[] = [];
  const { db, close } = await openDatabase({
    url: `file:${join(dir, "c.db")}`,
    checkpointIntervalMs: intervalMs,
    onCheckpoint: () => {
      checkpoints++;
    },
    onGroupCommit: ({ batches, ms }) => {
      if (batches > 0) commits.push(ms);
    },
    onCheckpointFailure: (message) => {
      throw new Error(`checkpoint thread failed: ${message}`);
    },
  });
  try {
    await applyMigrations(db);
    const { apiKey } = await createTenantWithAdminKey(db, { name: "bench", nowMs: Date.now() });
    const app = inProcessApp(db);
    const headers = { authorization: `Bearer ${apiKey.key}`, "content-type": "application/json" };
    const post = async () => {
      const started = performance.now();
      const res = await app.request("/v1/assessments", { method: "POST", headers, body });
      await res.arrayBuffer();
      if (res.status !== 201) throw new Error(`POST /v1/assessments ${res.status}`);
      return performance.now() - started;
    };
    const drive = async (n: number, latencies: number[]) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: counts.concurrency }, async () => {
          while (next++ < n) latencies.push(await post());
        }),
      );
    };
    await drive(300, []);
    checkpoints = 0;
    commits = [];
    const latencies: number[] = [];
    const elu = performance.eventLoopUtilization();
    const cpu = process.cpuUsage();
    const started = performance.now();
    await drive(counts.requests, latencies);
    const wallMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const loop = performance.eventLoopUtilization(elu);
    latencies.sort((a, b) => a - b);
    commits.sort((a, b) => a - b);
    return {
      reqPerS: (counts.requests / wallMs) * 1000,
      loopUsPerReq: (loop.active * 1000) / counts.requests,
      cpuUsPerReq: (used.user + used.system) / counts.requests,
      p50: quantileOfSorted(latencies, 0.5),
      p99: quantileOfSorted(latencies, 0.99),
      max: latencies.at(-1) as number,
      commitP99: quantileOfSorted(commits, 0.99),
      commitMax: commits.at(-1) as number,
      checkpoints,
    };
  } finally {
    close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const modes = [
  { name: "in the commit (SQLite's own)", intervalMs: 0 },
  { name: "on their thread, every 250 ms", intervalMs: 250 },
] as const;
const results: Run[][] = modes.map(() => []);
console.log(
  `POST /v1/assessments in process, ${counts.concurrency} in flight, ${counts.requests} requests a run`,
);
console.log(
  "| checkpoints | req/s | event loop µs/req | CPU µs/req | p50 ms | p99 ms | max ms | group commit p99 / max ms | thread's checkpoints |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (let round = 0; round < counts.rounds; round++)
  for (const [i, mode] of modes.entries()) {
    const r = await run(mode.intervalMs);
    results[i]?.push(r);
    console.log(
      `| ${mode.name} | ${r.reqPerS.toFixed(0)} | ${r.loopUsPerReq.toFixed(0)} | ${r.cpuUsPerReq.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} | ${r.commitP99.toFixed(1)} / ${r.commitMax.toFixed(1)} | ${r.checkpoints} |`,
    );
  }
const [own, thread] = results as [Run[], Run[]];
const ratio = (pick: (r: Run) => number) => median(thread.map(pick)) / median(own.map(pick));
console.log(
  `thread / SQLite's own (medians): req/s ${ratio((r) => r.reqPerS).toFixed(2)}x, event loop µs/req ${ratio((r) => r.loopUsPerReq).toFixed(2)}x, p99 ${ratio((r) => r.p99).toFixed(2)}x, group commit p99 ${ratio((r) => r.commitP99).toFixed(2)}x`,
);
