/**
 * `npm run bench:storage -- [--count N]`: bytes stored per assessment. Assesses N varied synthetic homes
 * (core/benchmark/stock.ts) through the real API app (in process, on an embedded libSQL file) and prints
 * the stored body, the input, the whole `assessments` table (pages per row, indexes included, from
 * SQLite's dbstat) and the database file's growth per assessment, next to the full response's size
 * uncompressed (what was stored before bodies were compressed).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { syntheticHome } from "../../core/benchmark/stock.ts";
import { libsqlClient } from "../../core/db/database.ts";
import { createRng } from "../../core/random/rng.ts";
import { createTenantWithAdminKey } from "../../core/tenants/tenants.service.ts";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { databaseFileBytes, openDatabase } from "../../platform/db/open.ts";
import { inProcessApp } from "./in-process-app.ts";

const { values } = parseArgs({ options: { count: { type: "string", default: "2000" } } });
const count = Number(values.count);
const dir = mkdtempSync(join(tmpdir(), "gridpulse-storage-"));
const url = `file:${join(dir, "storage.db")}`;
try {
  const { db, close } = await openDatabase({ url });
  await applyMigrations(db);
  const { apiKey } = await createTenantWithAdminKey(db, { name: "storage", nowMs: Date.now() });
  const app = inProcessApp(db);
  const client = libsqlClient(db);
  await client.execute("pragma wal_checkpoint(truncate)");
  const startBytes = databaseFileBytes(url) ?? 0;
  let responseBytes = 0;
  for (let i = 0; i < count; i++) {
    const res = await app.request("/v1/assessments", {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey.key}`, "content-type": "application/json" },
      body: JSON.stringify(syntheticHome(createRng(7_000 + i))),
    });
    if (res.status !== 201) throw new Error(`POST ${res.status}: ${await res.text()}`);
    responseBytes += (await res.arrayBuffer()).byteLength;
  }
  await client.execute("pragma wal_checkpoint(truncate)");
  const growth = (databaseFileBytes(url) ?? 0) - startBytes;
  const avg = (
    await client.execute(
      "select avg(length(body)) as body, avg(length(input)) as input, count(*) as n from assessments",
    )
  ).rows[0] as unknown as { body: number; input: number; n: number };
  const pages = await client
    .execute(
      "select sum(pgsize) as bytes from dbstat where name in ('assessments', 'assessments_list_idx', 'sqlite_autoindex_assessments_1')",
    )
    .then((r) => Number(r.rows[0]?.bytes))
    .catch(() => Number.NaN);
  close();
  const per = (b: number) => Math.round(b / count);
  console.log(`${count} synthetic homes assessed through POST /v1/assessments (embedded file)`);
  console.table([
    { what: "full response (uncompressed JSON)", "bytes per assessment": per(responseBytes) },
    { what: "stored body (compressed response)", "bytes per assessment": Math.round(avg.body) },
    { what: "stored input (JSON)", "bytes per assessment": Math.round(avg.input) },
    {
      what: "assessments table + its indexes (dbstat pages)",
      "bytes per assessment": Number.isNaN(pages) ? "n/a" : per(pages),
    },
    {
      what: "database file growth (with cohort statistics)",
      "bytes per assessment": per(growth),
    },
  ]);
  console.log(
    `compression: ${(responseBytes / count / avg.body).toFixed(1)}x (the response as answered vs its stored body)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
