/**
 * Retries of statements the database refused because another writer held the lock (SQLITE_BUSY).
 * An embedded file waits for the lock itself (busy timeout); a libSQL server answers "database is
 * locked" at once when concurrent write batches meet, which under load turned requests into 500s.
 * A refused statement or batch did not take effect (a batch is one transaction, rolled back as a
 * whole), so running it again is safe. Backoff with jitter, bounded in attempts and total time;
 * after that the BUSY error propagates (the API answers 503 with Retry-After).
 */
import type { Client } from "@libsql/client";

export interface BusyRetryOptions {
  /** Attempts after the first. */
  retries?: number;
  /** First delay; doubles each retry up to `maxDelayMs`, each scaled by a random factor in [0.5, 1.5). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export function isBusyError(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const e = error as { code?: unknown; message?: unknown; cause?: unknown };
  if (typeof e.code === "string" && e.code.startsWith("SQLITE_BUSY")) return true;
  if (typeof e.message === "string" && /database is locked|SQLITE_BUSY/.test(e.message))
    return true;
  return e.cause !== undefined && e.cause !== error && isBusyError(e.cause);
}

export async function retryBusy<T>(
  run: () => Promise<T>,
  options: BusyRetryOptions = {},
): Promise<T> {
  const retries = options.retries ?? 8;
  const base = options.baseDelayMs ?? 5;
  const max = options.maxDelayMs ?? 400;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= retries || !isBusyError(error)) throw error;
      await sleep(Math.min(max, base * 2 ** attempt) * (0.5 + random()));
    }
  }
}

/** `client` with `execute`, `batch` and `executeMultiple` retried on SQLITE_BUSY; the rest unchanged. */
export function withBusyRetry(client: Client, options: BusyRetryOptions = {}): Client {
  const retried = new Set<PropertyKey>(["execute", "batch", "executeMultiple"]);
  return new Proxy(client, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (retried.has(prop))
        return (...args: unknown[]) =>
          retryBusy(
            () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args),
            options,
          );
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}
