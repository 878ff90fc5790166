/**
 * Workers: access-log lines (info and debug) of the isolate's requests gathered for `windowMs` and
 * written in one `console.log`, for self-hosted workerd (`LOG_BATCH_MS`).
 *
 * Why: workerd writes every `console.log` call to its stdout at once, one `write` per call. Where
 * stdout is a pipe read by a log collector, that call was the costliest part of a light request: on
 * the 2-core test machine `GET /v1/me` cost workerd 264–448 µs of CPU with its access-log line and
 * 196–255 without it (three alternating pairs; a `perf` profile puts the difference in the `write`
 * system call and the wake-up of the reader). Node's writer gathers lines per event-loop turn for the
 * same reason (api/platform/node/log-writer.ts).
 *
 * Not for Cloudflare's own runtime, where each `console.log` call becomes one event of the request
 * that made it (Workers Logs parses one JSON object per call): there `LOG_BATCH_MS` stays 0 and this
 * writer is not used.
 *
 * Warnings and errors are never held: what was gathered is written first, then the line, with
 * `console.error`. After each request the Worker asks `pending()`: the request that finds lines and
 * no write planned plans one (a timer of its own) and keeps itself alive until it is done
 * (`waitUntil`), so a window's lines are written before the isolate may go, however early the other
 * requests of the window answered. One timer and one promise per window, not per request: workerd
 * ties both to the request that made them (none can be shared), and a timer per request, tried
 * first, gave no clear gain over a write per line.
 */
import type { LogWriter } from "../../../core/observability/logger.ts";

export interface BatchedConsoleOptions {
  /** How long a line may wait for others (ms, > 0). */
  windowMs: number;
  /** Written at once past this many gathered characters. */
  maxChars?: number;
  log?: (text: string) => void;
  error?: (text: string) => void;
  /** Runs `fn` after `ms` (the runtime's `setTimeout`). */
  later?: (fn: () => void, ms: number) => void;
  now?: () => number;
}

export interface BatchedConsole {
  writer: LogWriter;
  /**
   * For a request that may have gathered lines: a promise of its own to wait on (`waitUntil`) when it
   * is the one to write this window's lines, settled once they are written; undefined otherwise.
   */
  pending(): Promise<void> | undefined;
}

export function batchedConsole(options: BatchedConsoleOptions): BatchedConsole {
  const maxChars = options.maxChars ?? 64 * 1024;
  const log = options.log ?? ((text: string) => console.log(text));
  const error = options.error ?? ((text: string) => console.error(text));
  const later = options.later ?? ((fn: () => void, ms: number) => void setTimeout(fn, ms));
  const now = options.now ?? Date.now;
  let lines: string[] = [];
  let chars = 0;

  const flush = () => {
    if (lines.length === 0) return;
    const text = lines.join("\n");
    lines = [];
    chars = 0;
    log(text);
  };

  const writer: LogWriter = (level, line) => {
    if (level === "warn" || level === "error") {
      flush();
      error(line);
      return;
    }
    lines.push(line);
    chars += line.length;
    if (chars >= maxChars) flush();
  };

  // One timer per window, armed and waited on by the request that finds lines and no timer (workerd
  // ties timers and promises to the request that made them, so none is shared): it writes every line
  // gathered by then, its own and others'. A timer that never fired (its request cancelled) is
  // replaced after twice the window.
  let armedAtMs: number | undefined;
  const pending = () => {
    if (lines.length === 0) return undefined;
    const nowMs = now();
    if (armedAtMs !== undefined && nowMs - armedAtMs < 2 * options.windowMs) return undefined;
    armedAtMs = nowMs;
    return new Promise<void>((resolve) => {
      later(() => {
        armedAtMs = undefined;
        try {
          flush();
        } finally {
          resolve();
        }
      }, options.windowMs);
    });
  };

  return { writer, pending };
}
