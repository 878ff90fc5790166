/**
 * Kept streams for a libSQL server client: the `@libsql/client` HTTP client opens a new Hrana stream
 * for every `execute` and `batch` and closes it in the same pipeline request, and the server (sqld)
 * opens a new database connection per stream, reading the whole schema again. Against gridpulse's
 * schema that cost sqld ~1,170 µs of CPU per request, where a statement on a stream that is already
 * open cost ~250 µs (`select 1`, loopback).
 *
 * `keptStreams(exchange)` is the client's `fetch` over a server exchange. A one-shot pipeline (no
 * baton, its last request a `close`) runs on an idle stream kept from an earlier request instead:
 * its `close` is replaced by `close_sql` for every SQL text it stored (stored texts belong to a
 * stream) and a `get_autocommit`, sent to the version 3 pipeline endpoint (the client speaks
 * version 2, a subset; a server without version 3 answers 404 and is then passed through), and the
 * answer handed to the client is the one it expects (its results, the `close` acknowledged, no
 * baton). The stream is kept only when everything added ran, it is out of any transaction and the
 * server did not move it (`base_url`); a stream is kept at most `idleMs` (the server expires idle
 * streams after about 10 s) and at most `maxIdle` are kept (`DATABASE_KEPT_STREAMS`, 16): each
 * holds one of the server's connections, and sqld opens at most 128 at a time by default
 * (`--max-concurrent-connections`; past it, a new stream waits a second and is refused with 429).
 * Kept streams and requests in flight on one (slots) never pass `maxIdle`: a pipeline that finds
 * every slot taken goes as the client sent it (closing its own stream), so no stream is opened only
 * to be dropped; a stream that may not be kept (inside a transaction, moved, its additions failed)
 * is closed before its answer is handed over, and streams idle too long are closed in the
 * background. A kept stream the server no longer knows (expired, restarted) is answered with 400
 * before anything runs: the pipeline is then sent once more on a new stream. A request that fails
 * or passes its deadline loses its stream (never kept). Every other request (interactive
 * transactions, cursors, bodies not in the client's form) goes out as it came.
 *
 * The rewriting is textual over the client's JSON (no spaces, `requests` last) and sqld's answer
 * (`baton`, `base_url`, `results`), with a full JSON parse where the answer is in another form.
 */

import {
  fetchOver,
  replyResponse,
  type ServerExchange,
  type ServerFetch,
} from "./remote-database.ts";

const NEW_STREAM = '{"requests":[';
/** The same with the baton written out as null. */
const NULL_BATON = '{"baton":null,"requests":[';
const CLOSE_LAST = ',{"type":"close"}]}';
const AUTOCOMMIT = '{"type":"get_autocommit"}';
const CLOSE_OK = '{"type":"ok","response":{"type":"close"}}';
const CLOSE_SQL_OK = '{"type":"ok","response":{"type":"close_sql"}}';
const AUTOCOMMIT_OK = (yes: boolean) =>
  `{"type":"ok","response":{"type":"get_autocommit","is_autocommit":${yes}}}`;
const ANSWER_HEAD = '{"baton":';
const ANSWER_MIDDLE = ',"base_url":null,"results":[';

/** The server's answers to a stream it does not know: nothing of the pipeline ran. */
const unknownStream = (status: number, text: string) =>
  status === 400 && (text.includes("STREAM_EXPIRED") || text.includes("invalid baton"));

/** Idle streams a client keeps by default (`DATABASE_KEPT_STREAMS`). */
export const DEFAULT_KEPT_STREAMS = 16;

export interface KeptStreamsOptions {
  /** Longest a stream is kept idle (ms); below the server's expiry. */
  idleMs?: number;
  /** Most idle streams kept (0: none, the client's own behaviour). */
  maxIdle?: number;
  now?: () => number;
}

interface Idle {
  baton: string;
  atMs: number;
}

/** What a one-shot pipeline becomes on a kept stream. */
export interface Rewritten {
  /** The pipeline without its baton and `close`, then `close_sql`s and `get_autocommit`. */
  requests: string;
  /** `close_sql` requests added (the stored SQL texts the pipeline did not close itself). */
  closed: number;
}

/** The requests of a one-shot pipeline body, rewritten; undefined when the body is not one. */
export function rewritePipeline(body: string): Rewritten | undefined {
  const head = body.startsWith(NEW_STREAM)
    ? NEW_STREAM.length
    : body.startsWith(NULL_BATON)
      ? NULL_BATON.length
      : -1;
  if (head < 0 || !body.endsWith(CLOSE_LAST)) return undefined;
  const middle = body.slice(head, body.length - CLOSE_LAST.length);
  if (middle.length === 0) return undefined;
  let extra = "";
  let closed = 0;
  if (middle.includes('"type":"store_sql"')) {
    // Inside a JSON string these quotes would be escaped, so only requests match.
    const stored = new Set(
      [...middle.matchAll(/\{"type":"store_sql","sql_id":(\d+)/g)].map((m) => m[1]),
    );
    for (const m of middle.matchAll(/\{"type":"close_sql","sql_id":(\d+)\}/g)) stored.delete(m[1]);
    for (const id of stored) extra += `,{"type":"close_sql","sql_id":${id}}`;
    closed = stored.size;
  }
  return { requests: `${middle}${extra},${AUTOCOMMIT}`, closed };
}

/** The client's answer from the server's answer to a rewritten pipeline. */
export interface Answer {
  /** What the client reads: its results, then its `close` acknowledged, no baton. */
  text: string;
  /** The stream to keep, when it may be kept. */
  keep: string | undefined;
  /** The stream when it may not be kept (to close before the client reads on). */
  close: string | undefined;
}

/** The client's answer, or undefined when the server's answer is not one to a rewritten pipeline. */
export function answerOf(text: string, closed: number): Answer | undefined {
  return fastAnswer(text, closed) ?? parsedAnswer(text, closed);
}

function fastAnswer(text: string, closed: number): Answer | undefined {
  if (!text.startsWith(ANSWER_HEAD)) return undefined;
  let at = ANSWER_HEAD.length;
  let baton: string | undefined;
  if (text.startsWith("null", at)) at += 4;
  else if (text.charCodeAt(at) === 0x22 /* " */) {
    const end = text.indexOf('"', at + 1);
    if (end < 0) return undefined;
    baton = text.slice(at + 1, end);
    if (baton.includes("\\")) return undefined;
    at = end + 1;
  } else return undefined;
  if (!text.startsWith(ANSWER_MIDDLE, at)) return undefined;
  at += ANSWER_MIDDLE.length;
  const closes = `,${CLOSE_SQL_OK}`.repeat(closed);
  const autocommit = text.endsWith(`${closes},${AUTOCOMMIT_OK(true)}]}`);
  const tail = `${closes},${AUTOCOMMIT_OK(autocommit)}]}`;
  if (!text.endsWith(tail)) return undefined;
  const end = text.length - tail.length;
  if (end <= at) return undefined;
  return {
    text: `${ANSWER_HEAD}null${ANSWER_MIDDLE}${text.slice(at, end)},${CLOSE_OK}]}`,
    keep: autocommit ? baton : undefined,
    close: autocommit ? undefined : baton,
  };
}

interface ParsedAnswer {
  baton?: unknown;
  base_url?: unknown;
  results?: { type?: unknown; response?: { type?: unknown; is_autocommit?: unknown } }[];
}

function parsedAnswer(text: string, closed: number): Answer | undefined {
  let answer: ParsedAnswer;
  try {
    answer = JSON.parse(text) as ParsedAnswer;
  } catch {
    return undefined;
  }
  const results = answer.results;
  if (!Array.isArray(results) || results.length < closed + 2) return undefined;
  const added = results.slice(results.length - closed - 1);
  const last = added.at(-1);
  if (last?.type !== "ok" || last.response?.type !== "get_autocommit") return undefined;
  const clean =
    last.response.is_autocommit === true &&
    added.every((r) => r.type === "ok") &&
    (answer.base_url === null || answer.base_url === undefined) &&
    typeof answer.baton === "string";
  const own = results.slice(0, results.length - closed - 1);
  own.push({ type: "ok", response: { type: "close" } });
  return {
    text: JSON.stringify({ ...answer, baton: null, results: own }),
    keep: clean ? (answer.baton as string) : undefined,
    close: !clean && typeof answer.baton === "string" ? answer.baton : undefined,
  };
}

interface BaseState {
  idle: Idle[];
  reserved: number;
  /** The latest request's headers (credentials), to close streams with. */
  headers: Headers;
}

/**
 * The `fetch` of a libSQL client over `exchange`, with one-shot pipelines run on kept streams (see the
 * module comment); none kept: every request as it came. A pipeline's text is read once and the
 * client's `Response` built once: no `Request` or `Response` in between.
 */
export function keptStreams(
  exchange: ServerExchange,
  options: KeptStreamsOptions = {},
): ServerFetch {
  const idleMs = options.idleMs ?? 5_000;
  const maxIdle = options.maxIdle ?? DEFAULT_KEPT_STREAMS;
  const now = options.now ?? Date.now;
  const passThrough = fetchOver(exchange);
  if (maxIdle <= 0) return passThrough;
  /**
   * Per base URL of the pipeline endpoint: the idle streams (the most recently used last) and how many
   * requests in flight hold a slot (a stream that goes back to `idle` when they are answered). Idle
   * streams and slots together never pass `maxIdle`, so no stream is ever opened only to be dropped.
   */
  const bases = new Map<string, BaseState>();

  /**
   * Closes streams the server would otherwise hold until it expires them (each holds one of its
   * connections, a stream inside a transaction also its locks). A failure changes nothing: the server
   * expires the stream.
   */
  const release = (base: string, batons: string[]): Promise<unknown> =>
    Promise.all(
      batons.map((baton) =>
        exchange({
          url: `${base}/v3/pipeline`,
          method: "POST",
          headers: bases.get(base)?.headers ?? new Headers({ "content-type": "application/json" }),
          body: `{"baton":${JSON.stringify(baton)},"requests":[{"type":"close"}]}`,
        }).catch(() => {}),
      ),
    );

  /**
   * A slot for a request: a kept stream (its baton), a new stream to keep (null), or undefined when
   * every slot is taken (the pipeline then goes as the client sent it, closing its own stream).
   */
  const reserve = (base: string, state: BaseState): string | null | undefined => {
    const last = state.idle.pop();
    if (last !== undefined && last.atMs < now() - idleMs) {
      // Older ones are older still: the server is about to expire them.
      void release(base, [last.baton, ...state.idle.splice(0).map((i) => i.baton)]);
    } else if (last !== undefined) {
      state.reserved += 1;
      return last.baton;
    }
    if (state.idle.length + state.reserved >= maxIdle) return undefined;
    state.reserved += 1;
    return null;
  };

  /** Endpoints that answered 404 to a version 3 pipeline (a server without it): passed through. */
  const withoutV3 = new Set<string>();

  return async (request) => {
    const match = request.method === "POST" ? /\/v[23]\/pipeline$/.exec(request.url) : null;
    if (match === null) return passThrough(request);
    const base = request.url.slice(0, match.index);
    const state = bases.get(base) ?? { idle: [], reserved: 0, headers: request.headers };
    bases.set(base, state);
    state.headers = request.headers;
    const body = await request.text();
    const forward = (url: string, text: string) =>
      exchange({ url, method: "POST", headers: request.headers, body: text });
    const rewritten = withoutV3.has(base) ? undefined : rewritePipeline(body);
    const slot = rewritten === undefined ? undefined : reserve(base, state);
    if (rewritten === undefined || slot === undefined)
      return replyResponse(await forward(request.url, body));
    let kept: string | undefined;
    try {
      // `get_autocommit` is a request of version 3 of the protocol (the client speaks 2, a subset).
      const url = `${base}/v3/pipeline`;
      for (let baton = slot; ; baton = null) {
        const text =
          baton === null
            ? `${NEW_STREAM}${rewritten.requests}]}`
            : `{"baton":${JSON.stringify(baton)},"requests":[${rewritten.requests}]}`;
        const reply = await forward(url, text);
        if (baton !== null && unknownStream(reply.status, reply.text)) continue;
        if (reply.status === 404 && baton === null) {
          withoutV3.add(base);
          return replyResponse(await forward(request.url, body));
        }
        // The answer's own length no longer holds for a rewritten text.
        reply.headers.delete("content-length");
        if (reply.status < 200 || reply.status > 299) return replyResponse(reply);
        const answer = answerOf(reply.text, rewritten.closed);
        if (answer === undefined) return replyResponse(reply);
        kept = answer.keep;
        // A stream left inside a transaction (or moved, or whose additions failed) is closed before
        // the client reads on, as its own pipeline's close would have: its transaction rolls back and
        // its locks go now, not when the server expires it.
        if (answer.close !== undefined) await release(base, [answer.close]);
        return replyResponse(reply, answer.text);
      }
    } finally {
      state.reserved -= 1;
      if (kept !== undefined) state.idle.push({ baton: kept, atMs: now() });
    }
  };
}
