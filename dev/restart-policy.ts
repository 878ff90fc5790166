/**
 * When the launcher restarts a process that died: exponential backoff from `initialMs`, doubling per
 * consecutive crash up to `maxMs`. A run that lasted `stableMs` or more resets the count (the crash is
 * then the first of a new series); `maxCrashes` consecutive crashes, each sooner than `stableMs` after
 * its start, mean the process cannot run here and the launcher gives up.
 */
export interface RestartPolicy {
  initialMs: number;
  maxMs: number;
  stableMs: number;
  maxCrashes: number;
}

export type RestartDecision =
  | { action: "restart"; delayMs: number; crashes: number; uptimeMs: number }
  | { action: "give_up"; crashes: number; uptimeMs: number };

export interface RestartTracker {
  /** The process has (re)started now. */
  started(): void;
  /** The process died now: restart after a delay, or give up. */
  crashed(): RestartDecision;
}

export function restartTracker(
  policy: RestartPolicy,
  now: () => number = performance.now.bind(performance),
): RestartTracker {
  let startedAt = now();
  let crashes = 0;
  return {
    started() {
      startedAt = now();
    },
    crashed() {
      const uptimeMs = Math.round(now() - startedAt);
      crashes = uptimeMs >= policy.stableMs ? 1 : crashes + 1;
      if (crashes >= policy.maxCrashes) return { action: "give_up", crashes, uptimeMs };
      const delayMs = Math.min(policy.maxMs, policy.initialMs * 2 ** (crashes - 1));
      return { action: "restart", delayMs, crashes, uptimeMs };
    },
  };
}
