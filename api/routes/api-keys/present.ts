import { maskApiKey } from "../../../core/auth/api-keys.ts";
import type { ApiKeyRow } from "../../../core/db/schema/index.ts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The public view of a stored key: never the hash. */
export function presentApiKey(row: ApiKeyRow) {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    start: maskApiKey(row.keyStart),
    createdAt: new Date(row.createdAtMs).toISOString(),
    expiresAt: iso(row.expiresAtMs),
    revokedAt: iso(row.revokedAtMs),
    lastUsedAt: iso(row.lastUsedAtMs),
  };
}
