/**
 * `npm run bench:server-fetch`: one libSQL pipeline request (`select 1` on a stream, then close) to a
 * local sqld, sent through the libSQL client's two `fetch` implementations with the same contract:
 * `serverFetch` (core/db/remote-database.ts: the global `fetch`, what Workers use) and
 * `nodeServerFetch` (platform/db/server-fetch.ts: `node:http` with keep-alive, what Node uses), each
 * also through kept streams (core/db/server-streams.ts: the pipeline runs on a stream kept from an
 * earlier request, as both runtimes send it). Alternating rounds (`--rounds N`, 3) of `--calls N`
 * (4000) requests, `--concurrency N` (8) at a time, over gridpulse's schema (a new stream costs sqld
 * a connection that reads it); prints calls/s, this process's CPU per call and sqld's, medians, and
 * the ratios.
 */

import { parseArgs } from "node:util";
import { type ServerFetch, serverExchange, serverFetch } from "../../core/db/remote-database.ts";
import { keptStreams } from "../../core/db/server-streams.ts";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { nodeServerExchange, nodeServerFetch } from "../../platform/db/server-fetch.ts";
import { startSqld } from "../sqld.ts";
import { groupCpuUs } from "./processes.ts";
import { median } from "./stats.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    calls: { type: "string", default: "4000" },
    concurrency: { type: "string", default: "8" },
  },
});
const calls = Number(values.calls);
const concurrency = Number(values.concurrency);

const sqld = await startSqld();
{
  const { db, close } = await openDatabase({ url: sqld.url });
  await applyMigrations(db);
  close();
}
const url = new URL("/v2/pipeline", sqld.url).toString();
const body = JSON.stringify({
  requests: [{ type: "execute", stmt: { sql: "select 1", want_rows: true } }, { type: "close" }],
});

/** A request as the libSQL client builds it, through `send`, its result read as the client does. */
const call = async (send: ServerFetch) => {
  const headers = new Headers();
  headers.set("content-type", "application/json");
  const response = await send(new Request(url, { method: "POST", headers, body }));
  const json = (await response.json()) as { results: { type: string }[] };
  if (json.results[0]?.type !== "ok") throw new Error(`unexpected answer ${JSON.stringify(json)}`);
};

async function round(send: ServerFetch) {
  const serverCpu = groupCpuUs(sqld.pid); // sqld leads its own process group
  const cpu = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < calls) await call(send);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    perS: calls / seconds,
    cpuUs: (used.user + used.system) / calls,
    sqldUs: (groupCpuUs(sqld.pid) - serverCpu) / calls,
  };
}

const implementations = {
  "serverFetch (global fetch)": serverFetch(5000),
  "nodeServerFetch (node:http)": nodeServerFetch(5000),
  "serverFetch, kept streams": keptStreams(serverExchange(5000)),
  "nodeServerFetch, kept streams": keptStreams(nodeServerExchange(5000)),
};
const results = new Map<string, { perS: number; cpuUs: number; sqldUs: number }[]>();
try {
  // Warm-up: connections and JIT.
  for (const send of Object.values(implementations)) for (let i = 0; i < 200; i++) await call(send);
  for (let r = 0; r < Number(values.rounds); r++)
    for (const [name, send] of Object.entries(implementations))
      results.set(name, [...(results.get(name) ?? []), await round(send)]);
} finally {
  await sqld.dispose();
}
const rows = [...results].map(([name, rs]) => ({
  fetch: name,
  "calls/s": Math.round(median(rs.map((x) => x.perS))),
  "CPU µs/call": Math.round(median(rs.map((x) => x.cpuUs))),
  rounds: rs.map((x) => Math.round(x.cpuUs)).join(", "),
  "sqld CPU µs/call": Math.round(median(rs.map((x) => x.sqldUs))),
}));
const [global, node, , nodeKept] = rows;
console.log(
  `sqld on loopback, ${calls} pipeline requests a round, ${concurrency} at a time, medians of ${values.rounds} rounds`,
);
console.table(rows);
if (global && node)
  console.log(
    `node:http / global fetch: ${(node["calls/s"] / global["calls/s"]).toFixed(2)} x calls/s, ${(node["CPU µs/call"] / global["CPU µs/call"]).toFixed(2)} x CPU per call`,
  );
if (node && nodeKept)
  console.log(
    `kept streams / new stream per request (node:http): ${(nodeKept["calls/s"] / node["calls/s"]).toFixed(2)} x calls/s, ${(nodeKept["CPU µs/call"] / node["CPU µs/call"]).toFixed(2)} x this process's CPU, ${(nodeKept["sqld CPU µs/call"] / node["sqld CPU µs/call"]).toFixed(2)} x sqld's CPU per call`,
  );
