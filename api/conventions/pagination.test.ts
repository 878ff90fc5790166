/**
 * keysetList maps rows itself (from drizzle's positional `values()`): its pages must equal what
 * drizzle's own `all()` returns for the same select (keys, key order, decoded JSON and booleans, nulls,
 * SQL expressions), on the embedded client and on @libsql/client, walking every page.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { and, desc, eq, sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { createDatabase, type Database } from "../../core/db/database.ts";
import { alertRules, apiKeys } from "../../core/db/schema/index.ts";
import { createTenantWithAdminKey } from "../../core/tenants/tenants.service.ts";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { tenantScope } from "../tenancy/tenant-scope.ts";
import { keysetList, type PageRequest } from "./pagination.ts";

const dir = mkdtempSync(join(tmpdir(), "gridpulse-pagination-"));
const closers: (() => void)[] = [];
afterAll(() => {
  for (const close of closers) close();
  rmSync(dir, { recursive: true, force: true });
});

const databases: [string, () => Promise<Database>][] = [
  [
    "embedded client",
    async () => {
      const { db, close } = await openDatabase({ url: `file:${join(dir, "p.db")}` });
      closers.push(close);
      return db;
    },
  ],
  ["@libsql/client", async () => createDatabase(createClient({ url: ":memory:" }))],
];

const rules = keysetList(alertRules, alertRules.createdAtMs);
const keyColumns = {
  id: apiKeys.id,
  createdAtMs: apiKeys.createdAtMs,
  scopes: apiKeys.scopes,
  expiresAtMs: apiKeys.expiresAtMs,
  revoked: sql<boolean>`${apiKeys.revokedAtMs} is not null`.mapWith(Boolean).as("revoked"),
};
const keys = keysetList<
  typeof apiKeys,
  {
    id: string;
    createdAtMs: number;
    scopes: string[];
    expiresAtMs: number | null;
    revoked: boolean;
  }
>(apiKeys, apiKeys.createdAtMs, { columns: keyColumns });

async function walk<R>(
  list: (
    t: ReturnType<typeof tenantScope>,
    p: PageRequest,
  ) => Promise<{
    rows: R[];
    next: PageRequest["cursor"] | null;
  }>,
  tenant: ReturnType<typeof tenantScope>,
) {
  const rows: R[] = [];
  let cursor: PageRequest["cursor"];
  for (;;) {
    const page = await list(tenant, { limit: 3, cursor });
    rows.push(...page.rows);
    if (page.next === null) return rows;
    cursor = page.next;
  }
}

describe.each(databases)("keysetList rows (%s)", (_name, open) => {
  it("equal drizzle's own rows, page after page", async () => {
    const db = await open();
    await applyMigrations(db);
    const { tenantId } = await createTenantWithAdminKey(db, { name: "a", nowMs: 1_000 });
    const other = await createTenantWithAdminKey(db, { name: "b", nowMs: 1_000 });
    for (let i = 0; i < 8; i++) {
      await db.insert(alertRules).values({
        id: `rule_${i}`,
        tenantId: i === 7 ? other.tenantId : tenantId,
        kind: "burn_rate",
        rule: { id: `rule_${i}`, nested: { values: [i, null, "Εξοικονόμηση"] } } as never,
        enabled: i % 2 === 0,
        createdAtMs: 2_000 + Math.floor(i / 2), // ties on the time column: ordered by id
        updatedAtMs: 3_000,
      });
      await db.insert(apiKeys).values({
        id: `key_${i}`,
        tenantId,
        name: `k${i}`,
        keyHash: `hash_${i}`,
        keyStart: "gp_",
        scopes: i % 3 === 0 ? ["read"] : ["read", "write"],
        createdAtMs: 2_000 + i,
        expiresAtMs: i % 2 === 0 ? null : 9_000 + i,
        revokedAtMs: i === 4 ? 5_000 : null,
      });
    }
    const tenant = tenantScope(db, tenantId);
    const ownRules = await db
      .select()
      .from(alertRules)
      .where(eq(alertRules.tenantId, tenantId))
      .orderBy(desc(alertRules.createdAtMs), desc(alertRules.id))
      .all();
    const listedRules = await walk(rules, tenant);
    expect(listedRules).toEqual(ownRules);
    expect(listedRules.map((r) => Object.keys(r))).toEqual(ownRules.map((r) => Object.keys(r)));
    expect(listedRules.map((r) => typeof r.enabled)).toEqual(ownRules.map(() => "boolean"));
    expect(listedRules).toHaveLength(7);

    const ownKeys = await db
      .select(keyColumns)
      .from(apiKeys)
      .where(and(eq(apiKeys.tenantId, tenantId)))
      .orderBy(desc(apiKeys.createdAtMs), desc(apiKeys.id))
      .all();
    const listedKeys = await walk(keys, tenant);
    expect(listedKeys).toEqual(ownKeys);
    expect(listedKeys.map((r) => Object.keys(r))).toEqual(ownKeys.map((r) => Object.keys(r)));
    expect(listedKeys.filter((k) => k.revoked).map((k) => k.id)).toEqual(["key_4"]);
  });
});
