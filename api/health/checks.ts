/**
 * Readiness checks: each component is probed with a deadline and reports its latency; a failing
 * component names itself and the reason.
 */
import { type Database, pingDatabase } from "../../core/db/database.ts";

export interface ComponentCheck {
  status: "up" | "down";
  latencyMs: number;
  reason?: string;
}

export async function timedCheck(
  probe: () => Promise<unknown>,
  timeoutMs: number,
): Promise<ComponentCheck> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([probe(), deadline]);
    return { status: "up", latencyMs: elapsed(started) };
  } catch (error) {
    return { status: "down", latencyMs: elapsed(started), reason: describe(error) };
  } finally {
    clearTimeout(timer);
  }
}

export const checkDatabase = (db: Database, timeoutMs: number) =>
  timedCheck(() => pingDatabase(db), timeoutMs);

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}

/** The innermost useful message (libSQL wraps fetch errors whose cause says what happened). */
function describe(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    parts.push(typeof code === "string" ? `${current.message} (${code})` : current.message);
    current = current.cause;
  }
  return parts.length > 0 ? [...new Set(parts)].join(": ") : String(error);
}
