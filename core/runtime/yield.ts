/**
 * Lets the event loop run (timers, I/O, other requests) before continuing: long work in pages awaits
 * this between pages, so no single step holds the loop for long. Runtime-neutral: `setImmediate` where
 * it exists (Node), else a zero timeout.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof setImmediate === "function") setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}
