/**
 * Statements the database refused because another writer held the lock (SQLITE_BUSY).
 *
 * Against a libSQL server the cause is avoided rather than retried: write batches and write statements
 * go through the process's (isolate's) write queue, one group at a time (core/db/remote-database.ts),
 * because sqld refuses or stalls write transactions that queue up inside it. An embedded file waits
 * for its lock itself (busy timeout).
 *
 * What is still refused is retried, as a safety net: a refused statement or batch did not take effect
 * (a batch is one transaction, rolled back as a whole), so running it again is safe. Backoff with
 * jitter, bounded in attempts and total time; after that the BUSY error propagates (the API answers
 * 503 with Retry-After). Every retry is counted (`busyRetryCounts`) and logged as a warning, at most
 * once a second, so a run can show that none was needed.
 */
import type { Client, InArgs, InStatement } from "@libsql/client";
import { errorMessage } from "../observability/logger.ts";
import { isReadStatement, isWriteStatement, remoteDatabaseOf } from "./remote-database.ts";

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

export interface BusyRetryCounts {
  /** Attempts run again after a BUSY refusal (since the process or isolate started). */
  retried: number;
  /** Operations still refused after the last retry (their callers got the BUSY error). */
  exhausted: number;
}

const counts: BusyRetryCounts = { retried: 0, exhausted: 0 };
let lastLogMs = Number.NEGATIVE_INFINITY;
let retriedAtLastLog = 0;

/** The retries of this process (isolate) so far. */
export function busyRetryCounts(): BusyRetryCounts {
  return { ...counts };
}

function noteRetry(attempt: number, error: unknown) {
  counts.retried += 1;
  const nowMs = Date.now();
  if (nowMs - lastLogMs < 1000) return;
  lastLogMs = nowMs;
  console.error(
    JSON.stringify({
      ts: new Date(nowMs).toISOString(),
      level: "warn",
      msg: "database busy: retrying",
      attempt: attempt + 1,
      retriedSinceLastLog: counts.retried - retriedAtLastLog,
      retriedTotal: counts.retried,
      // Without the statement's parameters (drizzle puts them in the message): they can hold secrets.
      error: error instanceof Error ? errorMessage(error) : String(error),
    }),
  );
  retriedAtLastLog = counts.retried;
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
      if (!isBusyError(error)) throw error;
      if (attempt >= retries) {
        counts.exhausted += 1;
        throw error;
      }
      noteRetry(attempt, error);
      await sleep(Math.min(max, base * 2 ** attempt) * (0.5 + random()));
    }
  }
}

/**
 * `client` with `execute`, `batch` and `executeMultiple` retried on SQLITE_BUSY, the rest unchanged.
 * On a libSQL server, batches and statements that write also go through the server's write queue,
 * and single `select` statements through its read queue.
 */
export function withBusyRetry(client: Client, options: BusyRetryOptions = {}): Client {
  const retry = <T>(run: () => Promise<T>) => retryBusy(run, options);
  const queued = (target: Client) => remoteDatabaseOf(target);
  return new Proxy(client, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop === "batch")
        return (statements: InStatement[], mode?: Parameters<Client["batch"]>[1]) => {
          // A write batch, or a deferred one that writes (it runs the same as a write transaction).
          const writes =
            mode === "write" || (mode !== "read" && statements.some((st) => isWriteStatement(st)));
          const remote = writes ? queued(target) : undefined;
          return remote
            ? remote.remote.write(target, { kind: "batch", statements }, retry, remote.waitUntil)
            : retry(() => target.batch(statements, mode));
        };
      if (prop === "execute")
        return (statement: InStatement, args?: InArgs) => {
          const one: InStatement =
            typeof statement === "string" && args !== undefined
              ? { sql: statement, args }
              : statement;
          const write = isWriteStatement(one);
          const remote = write || isReadStatement(one) ? queued(target) : undefined;
          if (!remote) return retry(() => target.execute(one));
          return write
            ? remote.remote.write(
                target,
                { kind: "execute", statement: one },
                retry,
                remote.waitUntil,
              )
            : remote.remote.read(target, one, retry, remote.waitUntil);
        };
      if (prop === "executeMultiple")
        return (sql: string) => retry(() => target.executeMultiple(sql));
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}
