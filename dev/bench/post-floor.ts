/**
 * `npm run bench:post-floor -- [--rounds N] [--requests N]`: what `POST /v1/assessments` has to do
 * beyond the anchor of `npm run bench:api` (dev/bench/anchor-app.ts: validate, `assess()`, a small
 * reply), in process (`app.request`, no sockets), on one thread, CPU µs per request, medians of
 * alternating rounds. The home is the one `bench:api` posts (dev/bench/home.ts).
 *
 * Measured:
 * - the anchor's app, and the API's `POST` (full view) on an embedded libSQL file, 16 requests at a
 *   time (so the group commit writes them together, as under `bench:api`'s 16 connections), with the
 *   stored form made in the request (`inlineAssessor`, a kept deflate stream, as on Workers; the Node
 *   API does the same work on its assessment worker thread);
 * - the parts the goals require of a POST, apart: the engine; the engine, the views, the full view's
 *   JSON and UTF-8 bytes and its stored form (`prepareForStorageSync`), and of these the deflate alone;
 *   the write (the row and the tenant's cohort increments) through the embedded client, 16 at a time.
 *
 * Printed: each figure, the floor (the anchor plus the POST's required work beyond the engine: views,
 * serialisation, stored form, write) and the best ratio to the anchor that floor allows, next to the
 * ratio measured; and what is left (auth, rate limit, routing and middleware the anchor does not run).
 * Over HTTP both sides also pay the connection's parsing and writing, and the POST its ~29 KB answer.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { keptRawDeflate } from "../../api/platform/kept-zlib.ts";
import {
  type AssessmentJob,
  inlineAssessor,
  prepareForStorageSync,
} from "../../api/routes/assessments/prepare.ts";
import { encodeBodySync, STORED_LEVEL } from "../../api/routes/assessments/stored.ts";
import { tenantScope } from "../../api/tenancy/tenant-scope.ts";
import { newTimeOrderedId } from "../../core/auth/ids.ts";
import { statIncrements } from "../../core/benchmark/store.ts";
import { libsqlClient } from "../../core/db/database.ts";
import { assessments } from "../../core/db/schema/index.ts";
import { type AssessmentInputRaw, assess } from "../../core/energy/index.ts";
import { createTenantWithAdminKey } from "../../core/tenants/tenants.service.ts";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { anchorApp, anchorPath } from "./anchor-app.ts";
import { positiveIntegers } from "./args.ts";
import { athensApartment } from "./home.ts";
import { inProcessApp } from "./in-process-app.ts";
import { median } from "./stats.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    requests: { type: "string", default: "1600" },
  },
});
const { rounds, requests } = positiveIntegers(values);
const AT_ONCE = 16;
const body = JSON.stringify(athensApartment);
const input = athensApartment as unknown as AssessmentInputRaw;

/** CPU µs per call of `run`, called `requests` times, `AT_ONCE` in flight when it is asynchronous. */
async function cpuUs(run: (i: number) => unknown): Promise<number> {
  const started = process.cpuUsage();
  for (let i = 0; i < requests; i += AT_ONCE) {
    const batch: unknown[] = [];
    for (let j = i; j < Math.min(requests, i + AT_ONCE); j++) batch.push(run(j));
    await Promise.all(batch);
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / requests;
}

const dir = mkdtempSync(join(tmpdir(), "gridpulse-post-floor-"));
try {
  const { db, close } = await openDatabase({ url: `file:${join(dir, "floor.db")}` });
  await applyMigrations(db);
  const nowMs = Date.now();
  const { tenantId, apiKey } = await createTenantWithAdminKey(db, { name: "floor", nowMs });
  const deflate = keptRawDeflate({ level: STORED_LEVEL });
  const app = inProcessApp(db, { assessor: inlineAssessor(deflate) });
  const headers = { authorization: `Bearer ${apiKey.key}`, "content-type": "application/json" };
  const tenant = tenantScope(db, tenantId);
  const job = (i: number): AssessmentJob => ({
    input,
    prices: {},
    id: newTimeOrderedId("asm", nowMs + i),
    nowMs: nowMs + i,
    uncertainty: false,
  });
  const sample = prepareForStorageSync(job(0), deflate);

  const parts = {
    anchor: async () => {
      const res = await anchorApp.request(anchorPath, { method: "POST", headers, body });
      if (res.status !== 201) throw new Error(`anchor: ${res.status}`);
      await res.arrayBuffer();
    },
    post: async () => {
      const res = await app.request("/v1/assessments", { method: "POST", headers, body });
      if (res.status !== 201) throw new Error(`POST /v1/assessments: ${res.status}`);
      await res.arrayBuffer();
    },
    engine: () => assess(input, { now: new Date(nowMs) }),
    prepare: (i: number) => prepareForStorageSync(job(i), deflate),
    deflate: () => encodeBodySync(sample.full, deflate),
    write: (i: number) => {
      const { id, nowMs: createdAtMs } = job(i);
      return libsqlClient(db).batch(
        [
          tenant.insertStatement(assessments, {
            ...sample.columns,
            id,
            createdAtMs,
            input,
            body: Buffer.from(sample.body),
            listItem: sample.listItem,
          }),
          ...statIncrements(tenantId, [sample.figures], createdAtMs),
        ],
        "write",
      );
    },
  };
  type Part = keyof typeof parts;
  const names = Object.keys(parts) as Part[];
  const runs = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<Part, number[]>;
  for (const name of names) await cpuUs(parts[name]); // warm-up
  for (let round = 0; round < rounds; round++) {
    for (const name of names) runs[name].push(await cpuUs(parts[name]));
    process.stderr.write(`post-floor: round ${round + 1} of ${rounds}\n`);
  }
  const m = Object.fromEntries(names.map((n) => [n, median(runs[n])])) as Record<Part, number>;
  const required = m.prepare - m.engine + m.write;
  const floor = m.anchor + required;
  const us = (x: number) => `${Math.round(x)} µs`;
  const labels: Record<Part, string> = {
    anchor: "anchor (validate, assess(), small reply)",
    post: "POST /v1/assessments (full view, 16 at a time)",
    engine: "  the engine, assess()",
    prepare: "  engine, views, full view's JSON and bytes, stored form",
    deflate: "    of which the stored form's deflate",
    write: "  the write, 16 at a time (row and cohort increments)",
  };
  console.log(
    `\nCPU per request, in process, medians of ${rounds} alternating rounds of ${requests}:\n`,
  );
  console.log("| what | CPU per request | rounds |\n| --- | --- | --- |");
  for (const name of names)
    console.log(`| ${labels[name]} | ${us(m[name])} | ${runs[name].map(Math.round).join(", ")} |`);
  console.log(
    `\nA POST's required work beyond the anchor's (views, serialisation, stored form, write): ${us(required)}.`,
  );
  console.log(
    `Floor: anchor + that = ${us(floor)}; best ratio to the anchor it allows ${(m.anchor / floor).toFixed(2)}×, measured ${(m.anchor / m.post).toFixed(2)}×.`,
  );
  console.log(
    `Left beyond the floor (auth, rate limit, routing, middleware, the stored row's read-back): ${us(m.post - floor)}.`,
  );
  close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
