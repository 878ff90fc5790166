/**
 * Node-only: the embedded libSQL database as a `@libsql/client` `Client`, built for a server that takes
 * many small concurrent writes on one event loop.
 *
 * - One connection, prepared statements kept in a bounded cache (a statement is prepared once per SQL
 *   text, not once per call).
 * - Never waits for a lock on the main thread: the connection's busy timeout is 0, and a statement or
 *   transaction refused with SQLITE_BUSY is retried later (timers, backoff capped at `busyMaxDelayMs`)
 *   until `busyTimeoutMs` has passed, then fails with a BUSY error the API maps to 503. Health checks
 *   and reads keep answering while another process holds the write lock, and a write queued during the
 *   lock commits within one backoff step of its release.
 * - No transaction ever stays open across an `await`: a transaction begins, runs and ends in one
 *   synchronous step, so a caller that goes away (an aborted request) cannot leave one behind.
 * - Group commit: writes (`batch(…, "write")`, and any `execute` or batch containing a statement that
 *   is not a read) that arrive in the same turn of the event loop are queued and committed in one
 *   transaction, each inside its own savepoint: a batch that fails is rolled back to its savepoint and
 *   fails alone, the others commit. Each caller's promise settles after the commit that holds its
 *   writes (or with its own error). Statements marked `combinable` (increments such as cohort
 *   statistics, core/db/remote-database.ts) of the batches that succeeded run last, combined into one
 *   per key, so a row the group's batches all increment is updated once per group.
 * - Reads run at once on the same connection, outside any transaction, so they see every committed
 *   write (including this process's previous group commit).
 */

import {
  type Client,
  type InArgs,
  type InStatement,
  LibsqlBatchError,
  LibsqlError,
  type Replicated,
  type ResultSet,
  type Row,
  type Transaction,
  type TransactionMode,
  type Value,
} from "@libsql/client";
import Database from "libsql";
import { type Combinable, combinableOf } from "../../core/db/remote-database.ts";

export interface EmbeddedClientOptions {
  /** How long a statement or write may wait for another connection's lock before failing (ms). */
  busyTimeoutMs?: number;
  /** Largest pause between two attempts while the database is locked (ms). */
  busyMaxDelayMs?: number;
  /** Prepared statements kept (least recently used dropped first). */
  statementCacheSize?: number;
  /** Most write batches committed in one transaction. */
  maxGroupSize?: number;
  /**
   * Called after each group commit: how many batches it held, whether they waited for a lock, and how
   * long the transaction held the event loop (ms, begin to commit: a checkpoint in the commit too).
   */
  onGroupCommit?: (info: {
    batches: number;
    failed: number;
    busyRetries: number;
    ms: number;
  }) => void;
  /** Statements run on the connection when it opens (journal mode, synchronous, …). */
  pragmas?: string[];
  /** Timer used for BUSY backoff (tests). */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

interface Prepared {
  stmt: LibsqlStatement;
  reader: boolean;
  /** A plain read (select, with … select, values, pragma read): runs outside the write queue. */
  readOnly: boolean;
  columns: string[];
  columnTypes: string[];
  rowProto: object | undefined;
}

interface LibsqlStatement {
  reader: boolean;
  raw(toggle?: boolean): LibsqlStatement;
  safeIntegers(toggle?: boolean): LibsqlStatement;
  columns(): { name: string; type: string | null }[];
  all(args: unknown): unknown[][];
  run(args: unknown): { changes: number; lastInsertRowid: number | bigint };
}

interface LibsqlDatabase {
  prepare(sql: string): LibsqlStatement;
  exec(sql: string): void;
  close(): void;
  readonly inTransaction: boolean;
  readonly open: boolean;
}

interface QueuedWrite {
  statements: InStatement[];
  resolve(results: ResultSet[]): void;
  reject(error: unknown): void;
  /** Deadline for waiting on locks (ms, from `now`). */
  deadline: number;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function createEmbeddedClient(path: string, options: EmbeddedClientOptions = {}): Client {
  return new EmbeddedClient(path, options);
}

export class EmbeddedClient implements Client {
  closed = false;
  readonly protocol = "file";
  readonly #path: string;
  #db: LibsqlDatabase;
  readonly #cache = new Map<string, Prepared>();
  readonly #cacheSize: number;
  readonly #busyTimeoutMs: number;
  readonly #busyMaxDelayMs: number;
  readonly #maxGroup: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;
  readonly #onGroupCommit: EmbeddedClientOptions["onGroupCommit"];
  readonly #pragmas: string[];
  #queue: QueuedWrite[] = [];
  #flushing = false;

  constructor(path: string, options: EmbeddedClientOptions = {}) {
    this.#path = path;
    this.#cacheSize = options.statementCacheSize ?? 256;
    this.#busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    this.#busyMaxDelayMs = options.busyMaxDelayMs ?? 20;
    this.#maxGroup = options.maxGroupSize ?? 256;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#now = options.now ?? (() => performance.now());
    this.#onGroupCommit = options.onGroupCommit;
    this.#pragmas = options.pragmas ?? [];
    this.#db = this.#openConnection();
  }

  #openConnection(): LibsqlDatabase {
    const db = new Database(this.#path, { timeout: 0 }) as unknown as LibsqlDatabase;
    // Lock waits happen in this class, between event-loop turns, never inside SQLite.
    db.exec("pragma busy_timeout = 0");
    for (const pragma of this.#pragmas) db.exec(pragma);
    return db;
  }

  // ---- statements --------------------------------------------------------------------------------

  #prepare(sql: string): Prepared {
    const hit = this.#cache.get(sql);
    if (hit) {
      // Refresh its place in the LRU order.
      this.#cache.delete(sql);
      this.#cache.set(sql, hit);
      return hit;
    }
    const stmt = this.#db.prepare(sql);
    const reader = stmt.reader;
    let columns: string[] = [];
    let columnTypes: string[] = [];
    if (reader) {
      stmt.raw(true);
      const cols = stmt.columns();
      columns = cols.map((c) => c.name);
      columnTypes = cols.map((c) => c.type ?? "");
    }
    const prepared: Prepared = {
      stmt,
      reader,
      readOnly: reader && /^\s*(select|with|values|pragma\s+\w+\s*;?\s*$)/i.test(sql),
      columns,
      columnTypes,
      rowProto: rowPrototype(columns),
    };
    this.#cache.set(sql, prepared);
    if (this.#cache.size > this.#cacheSize) {
      const oldest = this.#cache.keys().next().value as string;
      this.#cache.delete(oldest);
    }
    return prepared;
  }

  #run(stmt: InStatement): ResultSet {
    const { sql, args } = normalize(stmt);
    let prepared: Prepared;
    try {
      prepared = this.#prepare(sql);
    } catch (error) {
      throw toLibsqlError(error);
    }
    const bound = bindArgs(args);
    try {
      if (prepared.reader) {
        const raw = prepared.stmt.all(bound);
        const rows = new Array<Row>(raw.length);
        for (let i = 0; i < raw.length; i++) rows[i] = toRow(raw[i] as unknown[], prepared);
        return resultSet(prepared.columns, prepared.columnTypes, rows, 0, undefined);
      }
      const info = prepared.stmt.run(bound);
      return resultSet([], [], [], info.changes, BigInt(info.lastInsertRowid));
    } catch (error) {
      throw toLibsqlError(error);
    }
  }

  #isReadOnly(statements: readonly InStatement[]): boolean {
    for (const s of statements) {
      const { sql } = normalize(s);
      let prepared: Prepared;
      try {
        prepared = this.#prepare(sql);
      } catch {
        return false; // let the write path report the error in order
      }
      if (!prepared.readOnly) return false;
    }
    return true;
  }

  // ---- Client ------------------------------------------------------------------------------------

  async execute(stmtOrSql: InStatement | string, args?: InArgs): Promise<ResultSet> {
    this.#checkOpen();
    const stmt: InStatement =
      typeof stmtOrSql === "string" ? { sql: stmtOrSql, args: args ?? [] } : stmtOrSql;
    if (this.#isReadOnly([stmt])) return this.#read(() => this.#run(stmt));
    if (outsideTransactions.test(normalize(stmt).sql)) {
      // Pragmas with effects (checkpoints, journal mode), VACUUM, ATTACH: never inside a transaction.
      await this.#drain();
      return this.#read(() => this.#run(stmt));
    }
    const [result] = await this.#enqueue([stmt]);
    return result as ResultSet;
  }

  async batch(
    stmts: Array<InStatement | [string, InArgs?]>,
    mode: TransactionMode = "deferred",
  ): Promise<ResultSet[]> {
    this.#checkOpen();
    const statements = stmts.map((s) =>
      Array.isArray(s) ? { sql: s[0], args: s[1] ?? [] } : s,
    ) as InStatement[];
    if (statements.length === 0) return [];
    if (mode !== "write" && this.#isReadOnly(statements))
      return this.#read(() => this.#readTransaction(statements));
    return this.#enqueue(statements);
  }

  /** Statements that only read, in one read transaction (a consistent snapshot). */
  #readTransaction(statements: InStatement[]): ResultSet[] {
    if (statements.length === 1) return [this.#run(statements[0] as InStatement)];
    return this.#transaction("begin deferred", statements);
  }

  /** `statements` in one transaction opened with `begin`: committed, or rolled back on any error. */
  #transaction(begin: string, statements: InStatement[]): ResultSet[] {
    this.#control(begin);
    try {
      const results = statements.map((s, i) => {
        try {
          return this.#run(s);
        } catch (error) {
          throw batchError(error, i);
        }
      });
      this.#control("commit");
      return results;
    } finally {
      this.#rollbackIfOpen();
    }
  }

  async #read<T>(run: () => T): Promise<T> {
    const deadline = this.#now() + this.#busyTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return run();
      } catch (error) {
        if (!isBusy(error) || this.#now() >= deadline) throw error;
        await this.#sleep(this.#backoff(attempt));
      }
    }
  }

  async migrate(stmts: InStatement[]): Promise<ResultSet[]> {
    this.#checkOpen();
    // Nothing pending (a database already migrated): no write lock to take. A process starting beside
    // others that write all the time could otherwise lose the race for it until its busy deadline
    // and fail to start (SQLITE_BUSY_SNAPSHOT: another commit between its read and its lock).
    if (stmts.length === 0) return [];
    await this.#drain();
    return this.#read(() => {
      this.#db.exec("pragma foreign_keys = off");
      try {
        return this.#transaction("begin immediate", stmts);
      } finally {
        this.#db.exec("pragma foreign_keys = on");
        this.#cache.clear();
      }
    });
  }

  async executeMultiple(sql: string): Promise<void> {
    this.#checkOpen();
    await this.#drain();
    await this.#read(() => {
      try {
        this.#db.exec(sql);
      } catch (error) {
        throw toLibsqlError(error);
      } finally {
        this.#rollbackIfOpen();
        this.#cache.clear();
      }
    });
  }

  transaction(_mode?: TransactionMode): Promise<Transaction> {
    // An interactive transaction would hold the connection (and the write lock) across awaits, which
    // this client exists to prevent. Use `batch`, which is atomic.
    return Promise.reject(
      new LibsqlError(
        "interactive transactions are not supported by gridpulse's embedded client: use batch()",
        "TRANSACTION_NOT_SUPPORTED",
      ),
    );
  }

  async sync(): Promise<Replicated> {
    return undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const pending = this.#queue;
    this.#queue = [];
    for (const w of pending) w.reject(new LibsqlError("The client is closed", "CLIENT_CLOSED"));
    this.#cache.clear();
    try {
      this.#rollbackIfOpen();
      this.#db.close();
    } catch {
      // closing a broken connection: nothing more to do
    }
  }

  reconnect(): void {
    this.close();
    this.#db = this.#openConnection();
    this.closed = false;
  }

  /**
   * Resolves once a write could commit: an empty write through the queue (it takes the write lock and
   * commits nothing), waiting for another process's lock at most `timeoutMs`.
   */
  probeWrite(timeoutMs: number): Promise<void> {
    this.#checkOpen();
    return this.#enqueue([], timeoutMs).then(() => undefined);
  }

  // ---- group commit ------------------------------------------------------------------------------

  #enqueue(statements: InStatement[], timeoutMs = this.#busyTimeoutMs): Promise<ResultSet[]> {
    return new Promise<ResultSet[]>((resolve, reject) => {
      this.#queue.push({ statements, resolve, reject, deadline: this.#now() + timeoutMs });
      if (!this.#flushing) {
        this.#flushing = true;
        // Let the requests parsed in this turn enqueue their writes too, then commit them together.
        setImmediate(() => void this.#flush());
      }
    });
  }

  /** Resolves once every write queued before the call has settled. */
  async #drain(): Promise<void> {
    while (this.#flushing) await new Promise((r) => setImmediate(r));
  }

  async #flush(): Promise<void> {
    let busyRetries = 0;
    let attempt = 0;
    while (this.#queue.length > 0 && !this.closed) {
      // Writes whose lock wait ran out fail now (the others keep waiting).
      const now = this.#now();
      const expired = this.#queue.filter((w) => w.deadline <= now && attempt > 0);
      if (expired.length > 0) {
        this.#queue = this.#queue.filter((w) => !expired.includes(w));
        for (const w of expired)
          w.reject(
            new LibsqlError(
              "database is locked: the write lock was not free before this write's deadline",
              "SQLITE_BUSY",
            ),
          );
        if (this.#queue.length === 0) break;
      }
      const group = this.#queue.slice(0, this.#maxGroup);
      let outcome: "committed" | "busy" | "lost";
      try {
        outcome = this.#commitGroup(group);
      } catch (error) {
        // The transaction itself could not be opened or committed for a reason other than a lock.
        this.#queue = this.#queue.slice(group.length);
        for (const w of group) w.reject(toLibsqlError(error));
        attempt = 0;
        continue;
      }
      if (outcome === "busy") {
        busyRetries++;
        await this.#sleep(this.#backoff(attempt++));
        continue;
      }
      attempt = 0;
      if (outcome === "lost") continue; // the group's survivors stay queued for the next transaction
    }
    if (busyRetries > 0) this.#onGroupCommit?.({ batches: 0, failed: 0, busyRetries, ms: 0 });
    this.#flushing = false;
  }

  /**
   * One transaction over `group`. Returns "busy" if the write lock could not be taken (nothing was
   * done), "lost" if SQLite rolled the whole transaction back mid-way (the failing batch is rejected,
   * the others stay queued), else "committed" with every batch settled.
   */
  #commitGroup(group: QueuedWrite[], combine = group.length > 1): "committed" | "busy" | "lost" {
    const started = performance.now();
    try {
      this.#control("begin immediate");
    } catch (error) {
      this.#rollbackIfOpen();
      if (isBusy(error)) return "busy";
      throw error;
    }
    const settled: { write: QueuedWrite; results?: ResultSet[]; error?: unknown }[] = [];
    // Combinable increments of the batches that ran, by key; run after the last batch.
    const deferred = new Map<
      string,
      { how: Combinable; first: InStatement; parts: unknown[]; into: [ResultSet[], number][] }
    >();
    try {
      for (const write of group) {
        this.#control("savepoint gp_batch");
        let index = 0;
        try {
          const results: ResultSet[] = [];
          const own: [Combinable, InStatement, number][] = [];
          for (; index < write.statements.length; index++) {
            const statement = write.statements[index] as InStatement;
            const how = combine ? combinableOf(statement) : undefined;
            if (how) {
              own.push([how, statement, results.length]);
              results.push(undefined as unknown as ResultSet); // set once the increments ran
            } else results.push(this.#run(statement));
          }
          this.#control("release gp_batch");
          settled.push({ write, results });
          for (const [how, statement, at] of own) {
            let slot = deferred.get(how.key);
            if (!slot) {
              slot = { how, first: statement, parts: [], into: [] };
              deferred.set(how.key, slot);
            }
            slot.parts.push(how.part);
            slot.into.push([results, at]);
          }
        } catch (error) {
          if (!this.#db.inTransaction) {
            // SQLite abandoned the whole transaction (I/O error, full disk, …): this batch fails,
            // the others that ran with it are retried in a fresh transaction.
            this.#queue = this.#queue.filter((w) => w !== write);
            write.reject(batchError(error, index));
            return "lost";
          }
          this.#control("rollback to gp_batch");
          this.#control("release gp_batch");
          settled.push({ write, error: batchError(error, index) });
        }
      }
      for (const slot of deferred.values()) {
        let result: ResultSet;
        try {
          result = this.#run(slot.parts.length === 1 ? slot.first : slot.how.combine(slot.parts));
        } catch {
          // An increment that fails combined fails somewhere on its own: run the group again
          // uncombined, so that only the batch it belongs to fails.
          this.#rollbackIfOpen();
          return this.#commitGroup(group, false);
        }
        for (const [results, at] of slot.into) results[at] = result;
      }
      this.#control("commit");
    } catch (error) {
      this.#rollbackIfOpen();
      if (isBusy(error)) return "busy";
      throw error;
    }
    this.#queue = this.#queue.slice(group.length);
    let failed = 0;
    for (const s of settled) {
      if (s.error !== undefined) {
        failed++;
        s.write.reject(s.error);
      } else s.write.resolve(s.results as ResultSet[]);
    }
    this.#onGroupCommit?.({
      batches: group.length,
      failed,
      busyRetries: 0,
      ms: performance.now() - started,
    });
    return "committed";
  }

  /** A transaction-control statement, prepared once (parsing it costs more than running it). */
  #control(sql: string): void {
    this.#prepare(sql).stmt.run([]);
  }

  #backoff(attempt: number): number {
    const base = Math.min(this.#busyMaxDelayMs, 1 * 2 ** attempt);
    return base * (0.5 + Math.random());
  }

  #rollbackIfOpen(): void {
    try {
      if (this.#db.open && this.#db.inTransaction) this.#db.exec("rollback");
    } catch {
      // a failed rollback leaves nothing open in SQLite's autocommit mode
    }
  }

  #checkOpen(): void {
    if (this.closed) throw new LibsqlError("The client is closed", "CLIENT_CLOSED");
  }
}

/** Statements SQLite refuses (or ignores) inside a transaction. */
const outsideTransactions = /^\s*(pragma|vacuum|attach|detach)\b/i;

// ---- values ----------------------------------------------------------------------------------------

function normalize(stmt: InStatement): { sql: string; args: InArgs } {
  return typeof stmt === "string"
    ? { sql: stmt, args: [] }
    : { sql: stmt.sql, args: stmt.args ?? [] };
}

function bindArgs(args: InArgs): unknown {
  if (Array.isArray(args)) {
    const out = new Array(args.length);
    for (let i = 0; i < args.length; i++) out[i] = toSql(args[i]);
    return out;
  }
  const named: Record<string, unknown> = {};
  for (const name in args) {
    const key = name[0] === "@" || name[0] === "$" || name[0] === ":" ? name.slice(1) : name;
    named[key] = toSql((args as Record<string, unknown>)[name]);
  }
  return named;
}

function toSql(value: unknown): unknown {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
      if (!Number.isFinite(value))
        throw new RangeError(
          "Only finite numbers (not Infinity or NaN) can be passed as arguments",
        );
      return value;
    case "boolean":
      return value ? 1 : 0;
    case "bigint":
      return value;
    case "undefined":
      throw new TypeError("undefined cannot be passed as argument to the database");
    default:
      if (value === null || value instanceof Uint8Array) return value;
      if (value instanceof ArrayBuffer) return Buffer.from(value);
      if (value instanceof Date) return value.valueOf();
      return value;
  }
}

function fromSql(value: unknown): Value {
  if (typeof value === "bigint") {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER))
      throw new RangeError(
        "Received integer which cannot be safely represented as a JavaScript number",
      );
    return Number(value);
  }
  if (value instanceof Uint8Array)
    return value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength) as ArrayBuffer;
  return value as Value;
}

/**
 * Rows as `@libsql/client` shapes them — column names as enumerable properties, positions and
 * `length` as non-enumerable ones — but with the positions read through a prototype shared by every
 * row of the statement instead of defined on each row.
 */
function rowPrototype(columns: string[]): object | undefined {
  if (new Set(columns).size !== columns.length) return undefined; // duplicate names: per-row positions
  const proto: Record<PropertyKey, unknown> = {};
  Object.defineProperty(proto, "length", { value: columns.length });
  columns.forEach((name, i) => {
    Object.defineProperty(proto, i, {
      get(this: Record<string, unknown>) {
        return this[name];
      },
    });
  });
  return proto;
}

function toRow(raw: unknown[], prepared: Prepared): Row {
  const { columns, rowProto } = prepared;
  if (rowProto) {
    const row = Object.create(rowProto) as Record<string, unknown>;
    for (let i = 0; i < columns.length; i++) row[columns[i] as string] = fromSql(raw[i]);
    return row as unknown as Row;
  }
  const row: Record<PropertyKey, unknown> = {};
  Object.defineProperty(row, "length", { value: raw.length });
  for (let i = 0; i < raw.length; i++) {
    const value = fromSql(raw[i]);
    Object.defineProperty(row, i, { value });
    const name = columns[i] as string;
    if (!Object.hasOwn(row, name))
      Object.defineProperty(row, name, {
        value,
        enumerable: true,
        configurable: true,
        writable: true,
      });
  }
  return row as unknown as Row;
}

function resultSet(
  columns: string[],
  columnTypes: string[],
  rows: Row[],
  rowsAffected: number,
  lastInsertRowid: bigint | undefined,
): ResultSet {
  return {
    columns,
    columnTypes,
    rows,
    rowsAffected,
    lastInsertRowid,
    toJSON() {
      return {
        columns,
        columnTypes,
        rows: rows.map((r) => Array.prototype.slice.call(r)),
        rowsAffected,
        lastInsertRowid: lastInsertRowid?.toString() ?? null,
      };
    },
  };
}

// ---- errors ----------------------------------------------------------------------------------------

const sqliteCodes: Record<number, string> = {
  1: "SQLITE_ERROR",
  2: "SQLITE_INTERNAL",
  3: "SQLITE_PERM",
  4: "SQLITE_ABORT",
  5: "SQLITE_BUSY",
  6: "SQLITE_LOCKED",
  7: "SQLITE_NOMEM",
  8: "SQLITE_READONLY",
  9: "SQLITE_INTERRUPT",
  10: "SQLITE_IOERR",
  11: "SQLITE_CORRUPT",
  13: "SQLITE_FULL",
  14: "SQLITE_CANTOPEN",
  17: "SQLITE_SCHEMA",
  18: "SQLITE_TOOBIG",
  19: "SQLITE_CONSTRAINT",
  20: "SQLITE_MISMATCH",
  21: "SQLITE_MISUSE",
  25: "SQLITE_RANGE",
  26: "SQLITE_NOTADB",
};

function toLibsqlError(error: unknown): unknown {
  if (error instanceof LibsqlError) return error;
  const e = error as { code?: unknown; rawCode?: unknown; message?: unknown };
  if (error instanceof Error && typeof e.rawCode === "number") {
    const base = sqliteCodes[e.rawCode & 0xff] ?? `SQLITE_UNKNOWN_${e.rawCode & 0xff}`;
    return new LibsqlError(
      error.message,
      base,
      typeof e.code === "string" ? e.code : undefined,
      e.rawCode,
      error,
    );
  }
  return error;
}

function batchError(error: unknown, index: number): unknown {
  const e = toLibsqlError(error);
  if (e instanceof LibsqlBatchError || !(e instanceof LibsqlError)) return e;
  return new LibsqlBatchError(
    e.message,
    index,
    e.code,
    e.extendedCode,
    e.rawCode,
    e.cause instanceof Error ? e.cause : undefined,
  );
}

function isBusy(error: unknown): boolean {
  const e = error as { code?: unknown; rawCode?: unknown; message?: unknown } | null;
  if (!e) return false;
  if (typeof e.rawCode === "number") return (e.rawCode & 0xff) === 5;
  if (typeof e.code === "string" && e.code.startsWith("SQLITE_BUSY")) return true;
  return typeof e.message === "string" && /database is locked/.test(e.message);
}
