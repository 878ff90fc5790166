import { maskApiKey } from "../../../core/auth/api-keys.ts";
import type { ApiKeyRow } from "../../../core/db/schema/index.ts";
import { iso, isoOrNull } from "../shared/rows.ts";

/** The public view of a stored key: never the hash. */
export function presentApiKey(row: ApiKeyRow) {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    start: maskApiKey(row.keyStart),
    createdAt: iso(row.createdAtMs),
    expiresAt: isoOrNull(row.expiresAtMs),
    revokedAt: isoOrNull(row.revokedAtMs),
    lastUsedAt: isoOrNull(row.lastUsedAtMs),
  };
}
