/**
 * A short-lived cache of resolved API keys (per process or Worker isolate), so a hot key does not cost
 * a database round trip on every request. Revocation through this process evicts at once; other
 * processes and isolates see it within the TTL (`AUTH_CACHE_TTL_MS`, 0 disables the cache).
 */
import type { AuthContext } from "../context.ts";

interface Entry {
  auth: AuthContext;
  expiresAtMs: number;
}

export interface AuthCache {
  get(keyHash: string, nowMs: number): AuthContext | undefined;
  set(keyHash: string, auth: AuthContext, nowMs: number, keyExpiresAtMs: number | null): void;
  evictKey(keyId: string): void;
}

export function createAuthCache(ttlMs: number, maxEntries = 10_000): AuthCache {
  const entries = new Map<string, Entry>();
  return {
    get(keyHash, nowMs) {
      const entry = entries.get(keyHash);
      if (!entry) return undefined;
      if (entry.expiresAtMs <= nowMs) {
        entries.delete(keyHash);
        return undefined;
      }
      return entry.auth;
    },
    set(keyHash, auth, nowMs, keyExpiresAtMs) {
      if (ttlMs <= 0) return;
      if (entries.size >= maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
      const expiresAtMs = Math.min(nowMs + ttlMs, keyExpiresAtMs ?? Number.POSITIVE_INFINITY);
      entries.set(keyHash, { auth, expiresAtMs });
    },
    evictKey(keyId) {
      for (const [hash, entry] of entries) if (entry.auth.keyId === keyId) entries.delete(hash);
    },
  };
}
