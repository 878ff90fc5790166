/**
 * What the Hono app needs from its host (Node or Workers) and what each request carries.
 * The host builds `AppDeps`; nothing in the app reads `process.env` or opens connections itself.
 */
import type { Database } from "../core/db/database.ts";
import type { Logger } from "../core/observability/logger.ts";

export interface AppDeps {
  /** The database for this request (Workers build a client per request; Node reuses one). */
  database: () => Database;
  logger: Logger;
  /** Milliseconds since the epoch; injected so tests control time. */
  now: () => number;
  /** Upper bound for each readiness check. */
  readinessTimeoutMs: number;
  version: string;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    logger: Logger;
    deps: AppDeps;
  };
}
