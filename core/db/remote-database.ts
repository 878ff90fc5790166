/**
 * Writes to a libSQL server (sqld), one at a time and grouped.
 *
 * sqld queues concurrent write transactions itself (connection by connection, each opening its read
 * snapshot before it waits for the write lock), and under load that queue fails in two ways: a
 * transaction that waited finds its snapshot outdated and is refused ("database is locked", extended
 * code 517), and now and then the lock is handed to a waiter that does not wake, so every writer
 * stalls until the holder's 5 s transaction timeout. Neither happens with one writer at a time.
 *
 * So a process (on Workers: an isolate) keeps at most one write to a given server in flight. Write
 * batches and single write statements that arrive meanwhile queue up and then go together: one
 * transaction in one pipeline request (group commit), so throughput grows with load instead of the
 * queue. A group of one runs exactly as the caller asked. A group refused as BUSY is retried whole by
 * the caller's policy (it was rolled back). A group that fails on a statement was rolled back too, and
 * its members then run again one by one (as they were sent), so a bad write fails alone with its own
 * error. Statements marked `combinable` (increments, such as cohort statistics) are combined across
 * a group's members into one, so the server updates a shared row once per group instead of once per
 * write. Any other failure (network, server) fails every member, as it would have failed each of
 * them alone.
 *
 * Reads (single `select` statements) never wait for writes, but go in groups of their own:
 * at most `maxReadPipelines` read requests are in flight (default 1), and reads that arrive meanwhile
 * go together as one read transaction in one pipeline request. A pipeline request costs the server
 * and the client far more than a statement in it (on loopback, 200–330 µs of sqld CPU and about as
 * much client CPU for a lone primary-key read, 80–90 µs each in groups of four), so under load a
 * group of reads costs a fraction of as many requests. A group whose read fails on a statement runs
 * each alone. A Worker isolate keeps one read request in flight too (api/worker.ts).
 *
 * On Workers an I/O object belongs to the request that created it, so a group is always sent with the
 * client of its first member, by that member's own request; the others only wait for plain results.
 * Every member keeps its request alive (`waitUntil`) until it is settled, so a request whose caller
 * went away still takes its turn.
 *
 * How a waiting member hears that it leads the next group, or that its result is in: on Node by a
 * promise the member awaits, which the request that settled the group resolves. On Workers by polling
 * its own plain state with timers of its own request (`pollMs`; why: core/runtime/own-timers.ts). Woken
 * by another request's promise, a leader's `fetch` there sometimes never settled and held the read
 * slot (or the write queue) of the isolate for good.
 */
import type { Client, InStatement, ResultSet } from "@libsql/client";
import {
  awaitShared,
  type Outcome as Ended,
  polled,
  type Shared,
  shared,
  unwrap,
} from "../runtime/own-timers.ts";

/** Read requests in flight per process or isolate by default (`DATABASE_READ_PIPELINES`). */
export const DEFAULT_READ_PIPELINES = 1;

export type WriteOperation =
  | { kind: "batch"; statements: InStatement[] }
  | { kind: "execute"; statement: InStatement };

type Outcome<O extends WriteOperation> = O extends { kind: "batch" } ? ResultSet[] : ResultSet;

/** Runs `attempt` with the caller's retry policy (BUSY). */
export type Retry = <T>(attempt: () => Promise<T>) => Promise<T>;

export type WaitUntil = (promise: Promise<unknown>) => void;

export interface RemoteDatabaseOptions {
  /** Most statements sent in one group (a request's own batch is never split). */
  maxGroupStatements?: number;
  /** How long read caches (latest market prices) may serve a value; 0 = no cache. */
  readCacheTtlMs?: number;
  /**
   * A write still queued this long (behind a group the server has not answered) fails with
   * `DatabaseUnavailableError` instead of being sent; 0 = no limit. The server's request deadline.
   */
  queueTimeoutMs?: number;
  /**
   * Most read requests in flight at once (`DATABASE_READ_PIPELINES`, default 1); reads that arrive
   * meanwhile are sent together as one read transaction when one comes back. 0: every read goes alone
   * at once.
   */
  maxReadPipelines?: number;
  /**
   * How often a queued member looks at its own state (ms), with timers of its own request; 0 (the
   * default): it awaits a promise that the request settling its group resolves. Workers set it (see
   * the module comment).
   */
  pollMs?: number;
}

export interface RemoteWriteCounts {
  /** Pipeline requests that carried writes. */
  groups: number;
  /** Writes (batches and statements) sent. */
  writes: number;
  /** Groups that failed on a statement and were run again one write at a time. */
  split: number;
  /** Statements saved by combining members' increments (`combinable`) into one per group. */
  combined: number;
  /** Writes and reads failed unsent after waiting longer than the deadline in the queue. */
  expired: number;
  /** Pipeline requests that carried reads (`select` statements). */
  readGroups: number;
  /** Reads sent. */
  reads: number;
}

/**
 * What a process or Worker isolate keeps for one libSQL server across requests: its write queue and
 * short-lived read caches. Plain data only; no I/O object is kept.
 */
export class RemoteDatabase {
  readonly readCacheTtlMs: number;
  readonly #maxGroupStatements: number;
  readonly #queueTimeoutMs: number;
  readonly #queue: Member[] = [];
  #inFlight = false;
  readonly #maxReadPipelines: number;
  readonly #pollMs: number;
  readonly #reads: Member[] = [];
  #readsInFlight = 0;
  readonly #cache = new Map<string, { atMs: number; value: unknown }>();
  readonly #loading = new Map<string, Shared<unknown>>();
  readonly counts: RemoteWriteCounts = {
    groups: 0,
    writes: 0,
    split: 0,
    combined: 0,
    expired: 0,
    readGroups: 0,
    reads: 0,
  };

  constructor(options: RemoteDatabaseOptions = {}) {
    this.#maxGroupStatements = Math.max(1, options.maxGroupStatements ?? 256);
    this.readCacheTtlMs = Math.max(0, options.readCacheTtlMs ?? 0);
    this.#queueTimeoutMs = Math.max(0, options.queueTimeoutMs ?? 0);
    this.#maxReadPipelines = Math.max(0, options.maxReadPipelines ?? DEFAULT_READ_PIPELINES);
    this.#pollMs = Math.max(0, options.pollMs ?? 0);
  }

  /**
   * A cached read younger than the TTL, else `load()` (cached when the TTL allows). Requests that miss
   * while a load of the same key is in flight wait for that load instead of each sending their own
   * (when a TTL ends under load, one round trip instead of one per request in flight); if it fails,
   * each loads for itself. With `pollMs` they look for its outcome from timers of their own.
   */
  async cached<T>(key: string, load: () => Promise<T>, nowMs = Date.now()): Promise<T> {
    if (this.readCacheTtlMs <= 0) return load();
    const hit = this.#cache.get(key);
    if (hit && nowMs - hit.atMs < this.readCacheTtlMs) return hit.value as T;
    const pending = this.#loading.get(key);
    if (pending) {
      try {
        return (await awaitShared(pending, this.#pollMs)) as T;
      } catch {
        return load();
      }
    }
    const loading = shared<unknown>(load());
    this.#loading.set(key, loading);
    try {
      const value = (await loading.promise) as T;
      this.#cache.set(key, { atMs: nowMs, value });
      return value;
    } finally {
      this.#loading.delete(key);
    }
  }

  /** Runs a write through the queue: alone when nothing else is in flight, else with the next group. */
  async write<O extends WriteOperation>(
    client: Client,
    operation: O,
    retry: Retry,
    waitUntil?: WaitUntil,
  ): Promise<Outcome<O>> {
    const member = new Member(client, operation);
    this.#queue.push(member);
    if (!this.#inFlight) {
      this.#inFlight = true;
      member.lead();
    }
    // Either an earlier group settles this write, or this request is woken to send the next group.
    const answer = this.#await(member, () => this.#sendGroup(member, retry));
    waitUntil?.(answer.then(ignore, ignore));
    return (await answer) as Outcome<O>;
  }

  /**
   * Runs a read statement: at once while fewer than `maxReadPipelines` reads are in flight, else with
   * the reads that queue up meanwhile, in one read transaction.
   */
  async read(
    client: Client,
    statement: InStatement,
    retry: Retry,
    waitUntil?: WaitUntil,
  ): Promise<ResultSet> {
    if (this.#maxReadPipelines === 0) return retry(() => client.execute(statement));
    if (this.#reads.length === 0 && this.#readsInFlight < this.#maxReadPipelines) {
      this.#readsInFlight += 1;
      this.counts.readGroups += 1;
      this.counts.reads += 1;
      const running = retry(() => client.execute(statement)).finally(() => this.#readDone());
      // The slot comes back only when the read settles: on Workers the request must outlive its
      // answer for that (one that answered early, as readiness past its own timeout, would otherwise
      // lose the read's I/O and hold the slot for good).
      waitUntil?.(running.then(ignore, ignore));
      return running;
    }
    const member = new Member(client, { kind: "execute", statement });
    this.#reads.push(member);
    const answer = this.#await(member, () => this.#sendReads(member, retry));
    waitUntil?.(answer.then(ignore, ignore));
    return (await answer) as ResultSet;
  }

  /**
   * A queued member's answer: it sends the next group (`send`) if woken to lead, then takes its
   * result. (On Workers its polling timers also keep its request alive: workerd cancels a request as
   * hung when it waits only for a promise that another request will resolve.)
   */
  async #await(member: Member, send: () => Promise<void>): Promise<ResultSet[] | ResultSet> {
    if (await this.#until(member, () => member.woke)) await send();
    return unwrap(await this.#until(member, () => member.outcome));
  }

  /** `read()` once it is defined, checked on each change of the member, or polled (`pollMs`). */
  async #until<T>(member: Member, read: () => T | undefined): Promise<T> {
    if (this.#pollMs > 0) return polled(read, this.#pollMs);
    for (;;) {
      const value = read();
      if (value !== undefined) return value;
      await member.changed();
    }
  }

  /** A read request came back: its slot goes to the first queued read, which sends the queue. */
  #readDone() {
    const next = this.#reads.shift();
    if (next) next.lead();
    else this.#readsInFlight -= 1;
  }

  async #sendReads(leader: Member, retry: Retry): Promise<void> {
    const group = [leader];
    if (this.#queueTimeoutMs > 0) {
      const nowMs = Date.now();
      this.#expireQueued(group, "read", nowMs);
      this.#expireQueued(this.#reads, "read", nowMs);
    }
    group.push(...this.#reads.splice(0, this.#maxGroupStatements - group.length));
    try {
      if (group.length === 0) return;
      this.counts.readGroups += 1;
      this.counts.reads += group.length;
      const client = leader.client;
      const only = group.length === 1 ? (group[0] as Member) : undefined;
      if (only) await settle(only, () => runAlone(client, only.operation, retry));
      else {
        const statements = group.map((m) => m.statements[0] as InStatement);
        await sendTogether(
          client,
          group,
          statements,
          "read",
          retry,
          (sent, _m, i) => sent[i] as ResultSet,
        );
      }
    } finally {
      this.#readDone();
    }
  }

  async #sendGroup(leader: Member, retry: Retry): Promise<void> {
    if (this.#queueTimeoutMs > 0) this.#expireQueued(this.#queue, "write", Date.now());
    const group: Member[] = [];
    let statements = 0;
    while (this.#queue.length > 0) {
      const next = this.#queue[0] as Member;
      const size = next.statements.length;
      if (group.length > 0 && statements + size > this.#maxGroupStatements) break;
      group.push(next);
      statements += size;
      this.#queue.shift();
    }
    if (group.length > 0) this.counts.groups += 1;
    this.counts.writes += group.length;
    const client = leader.client;
    try {
      if (group.length === 0) return;
      if (group.length === 1) {
        const only = group[0] as Member;
        await settle(only, () => runAlone(client, only.operation, retry));
      } else {
        const { statements, positions } = combine(group);
        this.counts.combined +=
          group.reduce((n, m) => n + m.statements.length, 0) - statements.length;
        await sendTogether(
          client,
          group,
          statements,
          "write",
          retry,
          (sent, m, i) => {
            const own = (positions[i] as number[]).map((at) => sent[at] as ResultSet);
            return m.operation.kind === "batch" ? own : (own[0] as ResultSet);
          },
          () => {
            this.counts.split += 1;
          },
        );
      }
    } finally {
      const next = this.#queue[0];
      if (next) next.lead();
      else this.#inFlight = false;
    }
  }

  /**
   * Fails the writes that have waited longer than the deadline (the group ahead of them hung until
   * its own deadline): their callers hear at once instead of after another full deadline. The leader
   * may be among them; it still sends the others' group with its client.
   */
  #expireQueued(queue: Member[], what: "write" | "read", nowMs: number) {
    const limit = this.#queueTimeoutMs;
    let kept = 0;
    for (const member of queue) {
      if (nowMs - member.queuedAtMs > limit) {
        this.counts.expired += 1;
        member.reject(
          new DatabaseUnavailableError(
            `${what} not sent: the database server did not answer the ${what}s ahead of it within ${limit} ms`,
          ),
        );
      } else queue[kept++] = member;
    }
    queue.length = kept;
  }
}

class Member {
  readonly statements: InStatement[];
  readonly client: Client;
  readonly operation: WriteOperation;
  readonly queuedAtMs = Date.now();
  /** true: send the next group; false: settled by another group; undefined: still waiting. */
  woke: boolean | undefined;
  outcome: Ended<ResultSet[] | ResultSet> | undefined;
  #onChange: (() => void) | undefined;

  constructor(client: Client, operation: WriteOperation) {
    this.client = client;
    this.operation = operation;
    this.statements = operation.kind === "batch" ? operation.statements : [operation.statement];
  }

  /** Resolves on the member's next change (for a member that does not poll). */
  changed(): Promise<void> {
    return new Promise((resolve) => {
      this.#onChange = resolve;
    });
  }

  lead() {
    this.woke = true;
    this.#changed();
  }

  resolve(value: ResultSet[] | ResultSet) {
    this.#settle({ value });
  }

  reject(error: unknown) {
    this.#settle({ error });
  }

  #settle(outcome: Ended<ResultSet[] | ResultSet>) {
    if (this.outcome !== undefined) return;
    this.outcome = outcome;
    this.woke ??= false;
    this.#changed();
  }

  #changed() {
    const notify = this.#onChange;
    this.#onChange = undefined;
    notify?.();
  }
}

const ignore = () => undefined;

function runAlone(client: Client, operation: WriteOperation, retry: Retry) {
  return operation.kind === "batch"
    ? retry(() => client.batch(operation.statements, "write"))
    : retry(() => client.execute(operation.statement));
}

/**
 * A group's statements in one transaction (`mode`), each member answered with its own results
 * (`own`). A group that failed on a statement was rolled back as a whole: after `onSplit`, each
 * member runs again on its own, so only the bad one fails. Any other failure fails every member, as
 * it would have failed each of them alone.
 */
async function sendTogether(
  client: Client,
  group: readonly Member[],
  statements: InStatement[],
  mode: "read" | "write",
  retry: Retry,
  own: (sent: ResultSet[], member: Member, index: number) => ResultSet[] | ResultSet,
  onSplit?: () => void,
): Promise<void> {
  let sent: ResultSet[];
  try {
    sent = await retry(() => client.batch(statements, mode));
  } catch (failure) {
    if (!failedOnStatement(failure)) {
      for (const m of group) m.reject(failure);
      return;
    }
    onSplit?.();
    for (const m of group) await settle(m, () => runAlone(client, m.operation, retry));
    return;
  }
  group.forEach((m, i) => {
    m.resolve(own(sent, m, i));
  });
}

async function settle(member: Member, run: () => Promise<ResultSet[] | ResultSet>) {
  try {
    member.resolve(await run());
  } catch (error) {
    member.reject(error);
  }
}

const combinableMark = Symbol.for("gridpulse.combinable");

/**
 * How statements of different writes of one group can become one: those with the same `key` are
 * replaced by `combine(parts)`, sent where the first of them was. Only for statements that commute
 * with everything else in a transaction (increments such as `homes = homes + excluded.homes`), so
 * that one combined statement has the effect of all of them in any order.
 */
export interface Combinable<P = unknown> {
  key: string;
  part: P;
  combine(parts: P[]): InStatement;
}

/** Marks `statement` as combinable within a write group (it runs as it is everywhere else). */
export function combinable<P>(statement: InStatement, how: Combinable<P>): InStatement {
  Object.defineProperty(statement, combinableMark, { value: how, enumerable: false });
  return statement;
}

/** How `statement` combines with others (undefined: it runs as it is). */
export function combinableOf(statement: InStatement): Combinable | undefined {
  return typeof statement === "object"
    ? (statement as { [combinableMark]?: Combinable })[combinableMark]
    : undefined;
}

/**
 * A group's statements with its members' combinable ones combined, and for each member where the
 * result of each of its statements is (a combined statement's result is shared by its members).
 */
function combine(group: readonly Member[]): { statements: InStatement[]; positions: number[][] } {
  const statements: InStatement[] = [];
  const positions: number[][] = [];
  const slots = new Map<string, { at: number; how: Combinable; parts: unknown[] }>();
  for (const m of group) {
    const own: number[] = [];
    for (const statement of m.statements) {
      const how = combinableOf(statement);
      if (!how) {
        own.push(statements.length);
        statements.push(statement);
        continue;
      }
      let slot = slots.get(how.key);
      if (!slot) {
        slot = { at: statements.length, how, parts: [] };
        slots.set(how.key, slot);
        statements.push(statement);
      }
      slot.parts.push(how.part);
      own.push(slot.at);
    }
    positions.push(own);
  }
  for (const slot of slots.values())
    if (slot.parts.length > 1) statements[slot.at] = slot.how.combine(slot.parts);
  return { statements, positions };
}

/** A statement of the batch failed (the batch was rolled back): the client reports which one. */
function failedOnStatement(error: unknown): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    typeof (error as { statementIndex?: unknown }).statementIndex === "number"
  );
}

/** A statement that writes (the ones a write queue takes); anything else runs as it is. */
export function isWriteStatement(statement: InStatement | [string, unknown?]): boolean {
  const sql =
    typeof statement === "string"
      ? statement
      : Array.isArray(statement)
        ? statement[0]
        : statement.sql;
  return /^\s*(insert|update|delete|replace)\b/i.test(sql);
}

/** A statement the read queue takes: a single `select`. */
export function isReadStatement(statement: InStatement): boolean {
  return /^\s*select\b/i.test(typeof statement === "string" ? statement : statement.sql);
}

const attached = Symbol.for("gridpulse.remoteDatabase");
type Attachment = { remote: RemoteDatabase; waitUntil?: WaitUntil | undefined };

/**
 * Marks `client` (built for one request) as a connection to `remote` (kept by the isolate), so its
 * writes join the isolate's queue and its reads may use the isolate's caches.
 */
export function attachRemoteDatabase(
  client: Client,
  remote: RemoteDatabase,
  waitUntil?: WaitUntil,
): Client {
  Object.defineProperty(client, attached, {
    value: { remote, waitUntil } satisfies Attachment,
    configurable: true,
  });
  return client;
}

/**
 * The state kept for the server `client` talks to: the one attached to it, else (a long-lived client
 * of a libSQL server, as on Node) one of its own. Undefined for an embedded file, which needs neither
 * a write queue (it waits for its lock) nor caches (its reads cost no round trip).
 */
export function remoteDatabaseOf(client: Client): Attachment | undefined {
  const existing = (client as unknown as { [attached]?: Attachment })[attached];
  if (existing) return existing;
  if (client.protocol !== "http" && client.protocol !== "ws") return undefined;
  attachRemoteDatabase(client, new RemoteDatabase({ readCacheTtlMs: defaultReadCacheTtlMs }));
  return (client as unknown as { [attached]: Attachment })[attached];
}

/**
 * The libSQL server did not answer: unreachable, no answer within the deadline, or its gateway said
 * it is unavailable (502, 503, 504). Whether a write sent just before took effect is not known; a
 * write that was still queued behind it was not sent. The API answers 503 with Retry-After.
 */
export class DatabaseUnavailableError extends Error {
  override readonly name = "DatabaseUnavailableError";
}

/**
 * Whether `error` means the database server could not be reached in time: a `DatabaseUnavailableError`
 * anywhere in its causes, or the deadline's `TimeoutError` (it can also end the reading of a response
 * that had started).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; typeof e === "object" && e !== null && depth < 5; depth++) {
    if (e instanceof DatabaseUnavailableError || (e as { name?: unknown }).name === "TimeoutError")
      return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** One HTTP request to a libSQL server: what a client's `Request` carries, its body as text. */
export interface ServerCall {
  url: string;
  method: string;
  headers: Headers;
  body: string | null;
}

/** The server's answer to a `ServerCall`, its body read whole (libSQL answers are small JSON). */
export interface ServerReply {
  status: number;
  statusText: string;
  /** The reply's own headers (the caller may change them). */
  headers: Headers;
  text: string;
}

/**
 * One exchange with a libSQL server, without web streams on the way: kept streams
 * (core/db/server-streams.ts) read and rewrite each pipeline's text, so building a `Request` to send
 * it and a `Response` per answer only for the next layer to read them back cost a large share of a
 * round trip's CPU on Node. Same contract as `serverExchange`.
 */
export type ServerExchange = (call: ServerCall) => Promise<ServerReply>;

/** The `fetch` a libSQL client takes. */
export type ServerFetch = (request: Request) => Promise<Response>;

/** The `fetch` a libSQL client takes, over `exchange`. */
export function fetchOver(exchange: ServerExchange): ServerFetch {
  return async (request) => {
    const reply = await exchange({
      url: request.url,
      method: request.method,
      headers: request.headers,
      body: request.body === null ? null : await request.text(),
    });
    return replyResponse(reply);
  };
}

/** A `Response` of `reply` (no body for the statuses that have none). */
export const replyResponse = (reply: ServerReply, text: string = reply.text): Response =>
  new Response(reply.status === 204 || reply.status === 304 ? null : text, {
    status: reply.status,
    statusText: reply.statusText,
    headers: reply.headers,
  });

/**
 * The exchange of a libSQL server client over the global `fetch` (what Workers use): every request
 * with a deadline (`timeoutMs`; 0: none) over the whole exchange, answer included, so a stalled server
 * fails requests instead of holding them (and the write queue behind them) until the socket gives
 * up; failures to reach the server, and gateways answering that it is away (502, 503, 504), as
 * `DatabaseUnavailableError`.
 *
 * It also asks for uncompressed responses: the server gzips a response when asked, and both runtimes'
 * `fetch` ask by default, so each statement's few hundred bytes cost a gzip stream on the server and a
 * gunzip stream (with its buffers) in the API, which on loopback or within a region saves nothing.
 */
export function serverExchange(timeoutMs: number): ServerExchange {
  return async (call) => {
    // The call's headers are its own (the client's request's): set in place, not copied.
    call.headers.set("accept-encoding", "identity");
    const init: RequestInit = { method: call.method, headers: call.headers, body: call.body };
    if (timeoutMs > 0) init.signal = AbortSignal.timeout(timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetch(call.url, init);
      if (isGatewayStatus(response.status)) {
        await response.body?.cancel().catch(() => {});
        throw new DatabaseUnavailableError(`the database server answered ${response.status}`);
      }
      text = await response.text();
    } catch (error) {
      if (error instanceof DatabaseUnavailableError) throw error;
      throw serverUnreachable(
        error,
        (error as { name?: unknown }).name === "TimeoutError",
        timeoutMs,
      );
    }
    return {
      status: response.status,
      statusText: response.statusText,
      headers: new Headers(response.headers),
      text,
    };
  };
}

/** The `fetch` of a libSQL server client over the global `fetch` (`serverExchange`). */
export const serverFetch = (timeoutMs: number) => fetchOver(serverExchange(timeoutMs));

/** A request to the server that failed (`timedOut`: past its deadline of `timeoutMs`). */
export function serverUnreachable(
  error: unknown,
  timedOut: boolean,
  timeoutMs: number,
): DatabaseUnavailableError {
  return new DatabaseUnavailableError(
    timedOut
      ? `the database server did not answer within ${timeoutMs} ms`
      : `the database server is unreachable: ${(error as Error).message}`,
    { cause: error },
  );
}

/**
 * sqld answers 429 when it has no connection free for a request (at most
 * `--max-concurrent-connections`, 128 by default, and it waits for one only briefly): the request was
 * refused before any of it ran, so it can be sent again as it is. That happens when a burst of
 * requests reaches it at once: on workerd, reads sent right after hundreds of requests whose clients
 * had given up (the isolate still ran them, and sqld their reads) were refused for about a second.
 */
export const isRefusedStatus = (status: number) => status === 429;

export interface RefusalRetry {
  /** Longest time from the first try within which a refused request is sent again (ms). */
  deadlineMs: number;
  /** First pause (ms); each next one is up to twice as long, jittered, at most `maxDelayMs`. */
  firstDelayMs?: number;
  maxDelayMs?: number;
  /** Called for each refusal, retried or not (metrics, logs). */
  onRefused?: (retried: boolean) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

/** The deadline of refusal retries where the exchange has none of its own (ms). */
export const DEFAULT_REFUSAL_DEADLINE_MS = 5000;

/**
 * `exchange`, with requests the server refused (`isRefusedStatus`) sent again after a short jittered
 * pause while the deadline allows, then failed as `DatabaseUnavailableError`: the API answers 503
 * with Retry-After, where the server's 429 would have reached the client library as a server error.
 */
export function retryRefused(exchange: ServerExchange, options: RefusalRetry): ServerExchange {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const first = options.firstDelayMs ?? 20;
  const max = options.maxDelayMs ?? 500;
  return async (call) => {
    const startedMs = now();
    for (let attempt = 0; ; attempt++) {
      const reply = await exchange(call);
      if (!isRefusedStatus(reply.status)) return reply;
      const delayMs = Math.min(max, first * 2 ** attempt) * (0.5 + random() / 2);
      const retried = now() - startedMs + delayMs < options.deadlineMs;
      options.onRefused?.(retried);
      if (!retried)
        throw new DatabaseUnavailableError(
          `the database server refused the request (${reply.status}: no connection free) for ${now() - startedMs} ms`,
        );
      await sleep(delayMs);
    }
  };
}

/** A gateway in front of the server answering that the server is away (502, 503, 504). */
export const isGatewayStatus = (status: number) =>
  status === 502 || status === 503 || status === 504;

/** TTL of read caches for server clients nobody configured (Node's shared client): 2 s. */
export const defaultReadCacheTtlMs = 2000;
