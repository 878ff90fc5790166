/**
 * `npm run bench:lists -- [--alerts N] [--outbox N] [--silences N] [--requests N]`: list endpoints over
 * one tenant with many rows, through the real API app in process (no sockets) on an embedded libSQL
 * file: µs per request of the first page (50 items) and its ratio to `GET /v1/me` in the same run.
 * The rows: N alerts (one episode each), N outbox rows and as many delivery attempts spread over ten
 * webhooks (a tenth of them the listed one's), N silences of which 3 are current.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { AlertState } from "../../core/alerts/evaluate.ts";
import { libsqlClient } from "../../core/db/database.ts";
import { createTenantWithAdminKey } from "../../core/tenants/tenants.service.ts";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { positiveIntegers } from "./args.ts";
import { inProcessApp } from "./in-process-app.ts";

const { values } = parseArgs({
  options: {
    alerts: { type: "string", default: "5000" },
    outbox: { type: "string", default: "20000" },
    silences: { type: "string", default: "2000" },
    requests: { type: "string", default: "2000" },
  },
});
const counts = positiveIntegers(values);
const dir = mkdtempSync(join(tmpdir(), "gridpulse-lists-"));
const url = `file:${join(dir, "lists.db")}`;
try {
  const { db, close } = await openDatabase({ url });
  await applyMigrations(db);
  const nowMs = Date.now();
  const { tenantId, apiKey } = await createTenantWithAdminKey(db, { name: "lists", nowMs });
  const app = inProcessApp(db);
  const headers = { authorization: `Bearer ${apiKey.key}`, "content-type": "application/json" };
  const created = await app.request("/v1/webhooks", {
    method: "POST",
    headers,
    body: JSON.stringify({ url: "https://hooks.example.com/gridpulse" }),
  });
  if (created.status !== 201) throw new Error(`POST /v1/webhooks ${created.status}`);
  const webhookId = ((await created.json()) as { id: string }).id;

  const rows: { sql: string; args: (string | number)[] }[] = [];
  for (let i = 0; i < counts.alerts; i++) {
    const state: AlertState = {
      fingerprint: `bench${i}`,
      ruleId: "rul_0000000000000000",
      status: "resolved",
      labels: { alertname: "bench", severity: "page" },
      annotations: {},
      value: 1,
      activeAtMs: nowMs - i * 1000,
      firedAtMs: nowMs - i * 1000,
      resolvedAtMs: nowMs,
      keepFiringSinceMs: null,
      edge: false,
      acknowledgedAtMs: null,
      acknowledgedBy: null,
    };
    rows.push({
      sql: "insert into alerts (id, tenant_id, rule_id, status, state, updated_at_ms) values (?, ?, ?, 'resolved', ?, ?)",
      args: [state.fingerprint, tenantId, state.ruleId, JSON.stringify(state), nowMs],
    });
  }
  for (let i = 0; i < counts.outbox; i++) {
    const target = i % 10 === 0 ? webhookId : `whk_bench${i % 10}`;
    rows.push(
      {
        sql: "insert into outbox (id, tenant_id, channel, target_id, idempotency_key, trigger, payload, status, attempts, next_attempt_at_ms, created_at_ms) values (?, ?, 'webhook', ?, ?, 'alert', '{}', 'delivered', 1, 0, ?)",
        args: [`obx_bench${i}`, tenantId, target, `bench${i}`, nowMs - i],
      },
      {
        sql: "insert into delivery_attempts (id, tenant_id, outbox_id, channel, target_id, trigger, attempt, outcome, duration_ms, at_ms) values (?, ?, ?, 'webhook', ?, 'alert', 1, 'delivered', 5, ?)",
        args: [`att_bench${i}`, tenantId, `obx_bench${i}`, target, nowMs - i],
      },
    );
  }
  for (let i = 0; i < counts.silences; i++)
    rows.push({
      sql: "insert into silences (id, tenant_id, matchers, starts_at_ms, ends_at_ms, created_at_ms) values (?, ?, '[]', ?, ?, ?)",
      args: [`sil_bench${i}`, tenantId, nowMs - 1e7, i < 3 ? nowMs + 1e7 : nowMs - 1e6, nowMs - i],
    });
  const client = libsqlClient(db);
  for (let i = 0; i < rows.length; i += 5000) await client.batch(rows.slice(i, i + 5000), "write");

  const paths = [
    "/v1/me",
    "/v1/alerts",
    `/v1/webhooks/${webhookId}/messages`,
    `/v1/webhooks/${webhookId}/attempts`,
    "/v1/silences?expired=true",
    "/v1/silences",
  ];
  const timeOf = async (path: string) => {
    let bytes = 0;
    const started = performance.now();
    for (let i = 0; i < counts.requests; i++) {
      const res = await app.request(path, { headers });
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
      bytes = (await res.arrayBuffer()).byteLength;
    }
    return { us: ((performance.now() - started) * 1000) / counts.requests, bytes };
  };
  for (const path of paths) await timeOf(path); // warm-up: JIT, prepared statements, page cache
  const results = [];
  for (const path of paths) results.push({ path, ...(await timeOf(path)) });
  const me = results[0]?.us ?? Number.NaN;
  close();
  console.log(
    `${counts.alerts} alerts, ${counts.outbox} outbox rows and attempts, ${counts.silences} silences (3 current); ${counts.requests} requests each, in process on an embedded file`,
  );
  console.table(
    results.map((r) => ({
      endpoint: `GET ${r.path.replace(webhookId, "{id}")}`,
      "µs per request": Math.round(r.us),
      "bytes per page": r.bytes,
      "ratio to /v1/me": (me / r.us).toFixed(2),
    })),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
