/** Small helpers that hide the difference between Workers and Node request lifetimes. */
import type { Context } from "hono";
import type { AppEnv } from "./context.ts";

/** The Worker's ExecutionContext, or undefined on Node (where Hono's getter throws). */
export function executionContext(
  c: Context<AppEnv>,
): { waitUntil(p: Promise<unknown>): void } | undefined {
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}

/**
 * Runs `work` after the response without delaying it: `waitUntil` on Workers keeps the isolate alive
 * for it; on Node the promise simply continues. Failures are logged, never thrown.
 */
export function runInBackground(c: Context<AppEnv>, work: Promise<unknown>): void {
  const logger = c.var.logger;
  const guarded = work.catch((error: unknown) =>
    logger?.warn("background work failed", { err: error }),
  );
  executionContext(c)?.waitUntil(guarded);
}
