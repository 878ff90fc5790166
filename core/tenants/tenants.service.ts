/**
 * Tenant administration: create a tenant with its first admin key, and mint keys. Runtime-neutral
 * (used by the `tenant:create` command on Node and by the API on Workers and Node).
 */
import { type ApiKeyScope, generateApiKey, hashApiKey } from "../auth/api-keys.ts";
import { newId } from "../auth/ids.ts";
import type { Database } from "../db/database.ts";
import { type ApiKeyRow, apiKeys, tenants } from "../db/schema/index.ts";

export interface MintedApiKey {
  row: ApiKeyRow;
  /** The key itself: returned once, never stored. */
  key: string;
}

export async function prepareApiKey(input: {
  tenantId: string;
  name: string;
  scopes: ApiKeyScope[];
  nowMs: number;
  expiresAtMs?: number | null;
}): Promise<MintedApiKey> {
  const { key, start } = generateApiKey();
  const row: ApiKeyRow = {
    id: newId("key"),
    tenantId: input.tenantId,
    name: input.name,
    keyHash: await hashApiKey(key),
    keyStart: start,
    scopes: [...new Set(input.scopes)],
    createdAtMs: input.nowMs,
    expiresAtMs: input.expiresAtMs ?? null,
    revokedAtMs: null,
    lastUsedAtMs: null,
  };
  return { row, key };
}

export async function createTenantWithAdminKey(
  db: Database,
  input: { name: string; nowMs: number },
): Promise<{ tenantId: string; apiKey: MintedApiKey }> {
  const tenantId = newId("ten");
  const apiKey = await prepareApiKey({
    tenantId,
    name: "initial admin key",
    scopes: ["admin"],
    nowMs: input.nowMs,
  });
  // One batch: a tenant never exists without its first key (and it works over HTTP to a server).
  await db.batch([
    db.insert(tenants).values({ id: tenantId, name: input.name, createdAtMs: input.nowMs }),
    db.insert(apiKeys).values(apiKey.row),
  ]);
  return { tenantId, apiKey };
}
