/**
 * Node-only process lifecycle shared by every gridpulse process: SIGTERM, SIGINT and the loss of the
 * parent's IPC channel (the launcher died) all run the same shutdown once, then exit. A second signal
 * while shutting down exits at once; a shutdown that hangs is cut off after `graceMs`.
 */
import type { Logger } from "../core/observability/logger.ts";

export interface ShutdownOptions {
  logger: Logger;
  /** Runs once; should finish in-flight work and release resources. */
  shutdown: (reason: string) => Promise<void>;
  graceMs?: number;
}

/**
 * Installs the shutdown on signals and returns `fail(reason)`: the same shutdown for a failure the
 * process cannot recover from by itself, exiting with code 1 so that its supervisor (the launcher, an
 * orchestrator) starts it again.
 */
export function onShutdown(options: ShutdownOptions): (reason: string) => void {
  const graceMs = options.graceMs ?? 30_000;
  let stopping = false;
  const stop = (reason: string, exitCode = 0) => {
    if (stopping) {
      options.logger.warn("second stop request; exiting now", { reason });
      process.exit(1);
    }
    stopping = true;
    options.logger.info("shutting down", { reason });
    const timer = setTimeout(() => {
      options.logger.error("shutdown took too long; exiting", { graceMs });
      process.exit(1);
    }, graceMs);
    timer.unref();
    options.shutdown(reason).then(
      () => {
        options.logger.info("stopped");
        process.exit(exitCode);
      },
      (error: unknown) => {
        options.logger.error("shutdown failed", { err: error });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  if (process.send) process.once("disconnect", () => stop("parent exited"));
  return (reason) => stop(reason, 1);
}

/** Logs and exits for errors that escape every handler: the process state is unknown afterwards. */
export function exitOnFatal(logger: Logger): void {
  logProcessWarnings(logger);
  process.on("uncaughtException", (error) => {
    logger.error("uncaught exception", { err: error });
    process.exit(1);
  });
  process.on("unhandledRejection", (reason) => {
    logger.error("unhandled rejection", { err: reason });
    process.exit(1);
  });
}

/**
 * Routes Node process warnings through the structured logger, dropping kafkajs's known-harmless
 * TimeoutNegativeWarning on Node >= 24 (kafkajs issue #1751).
 */
export function logProcessWarnings(logger: Logger): void {
  process.removeAllListeners("warning");
  process.on("warning", (warning) => {
    if (warning.name === "TimeoutNegativeWarning") return;
    logger.warn("process warning", { name: warning.name, message: warning.message });
  });
}
