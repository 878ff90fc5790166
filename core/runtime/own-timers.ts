/**
 * Waiting for something another request does, on Workers.
 *
 * workerd settles a promise in the request that created it, yet a request woken by a promise that
 * another request resolved sometimes ran on as part of that other request: I/O it then started
 * belonged to a request that answered and ended, and never settled (a `fetch` that never answered, a
 * deadline timer that never fired), and a response it built there failed with "Cannot perform I/O on
 * behalf of a different request". Seen with the libSQL server's read and write queues and with shared
 * loads of cached values (docs/benchmarks.md). A request's own timers always run in that request, so
 * on Workers a request that waits for another looks at plain shared state from timers of its own
 * (`polled`) instead of awaiting the other's promise. On Node a promise is fine and cheaper.
 */

/** Longest pause between two looks (ms). */
const MAX_POLL_MS = 16;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `read()` once it is defined, looked at every `everyMs` at first and then less often: every eighth
 * of the time waited so far, at most every `MAX_POLL_MS`, so that requests waiting out a stalled
 * server do not each run a timer a millisecond.
 */
export async function polled<T>(read: () => T | undefined, everyMs: number): Promise<T> {
  const startedMs = Date.now();
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    const waitedMs = Date.now() - startedMs;
    await sleep(Math.min(MAX_POLL_MS, Math.max(everyMs, Math.floor(waitedMs / 8))));
  }
}

/** How some work ended, as plain data. */
export type Outcome<T> = { value: T } | { error: unknown };

/** `outcome`'s value, or its error thrown. */
export function unwrap<T>(outcome: Outcome<T>): T {
  if ("error" in outcome) throw outcome.error;
  return outcome.value;
}

/** One request's promise that others may wait for: its outcome is also kept as plain data. */
export interface Shared<T> {
  readonly promise: Promise<T>;
  outcome?: Outcome<T>;
}

export function shared<T>(promise: Promise<T>): Shared<T> {
  const s: Shared<T> = { promise };
  promise.then(
    (value) => {
      s.outcome = { value };
    },
    (error: unknown) => {
      s.outcome = { error };
    },
  );
  return s;
}

/** Another request's shared promise, awaited (`pollMs` 0: Node) or polled from this request's timers. */
export async function awaitShared<T>(other: Shared<T>, pollMs: number): Promise<T> {
  if (pollMs <= 0) return other.promise;
  return unwrap(await polled(() => other.outcome, pollMs));
}
