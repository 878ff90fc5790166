/**
 * Node-only log writer: info and debug lines are gathered during one turn of the event loop and written
 * to stdout in one call (one syscall for a burst of access-log lines instead of one per request);
 * warnings and errors go to stderr at once, after whatever info lines preceded them. Anything still
 * gathered is written synchronously when the process exits.
 */
import { writeSync } from "node:fs";
import type { LogWriter } from "../../../core/observability/logger.ts";

export interface BufferedWriterOptions {
  /** Written at once past this many gathered characters. */
  maxChars?: number;
  out?: (chunk: string) => void;
  err?: (line: string) => void;
  outSync?: (chunk: string) => void;
}

export function bufferedStdoutWriter(options: BufferedWriterOptions = {}): LogWriter & {
  flush(): void;
} {
  const maxChars = options.maxChars ?? 64 * 1024;
  const out = options.out ?? ((chunk: string) => process.stdout.write(chunk));
  const err = options.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  const outSync = options.outSync ?? ((chunk: string) => writeSync(1, chunk));
  let pending: string[] = [];
  let chars = 0;
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const chunk = `${pending.join("\n")}\n`;
    pending = [];
    chars = 0;
    out(chunk);
  };
  process.once("exit", () => {
    if (pending.length > 0) outSync(`${pending.join("\n")}\n`);
    pending = [];
  });

  const writer = (level: string, line: string) => {
    if (level === "warn" || level === "error") {
      flush();
      err(line);
      return;
    }
    pending.push(line);
    chars += line.length;
    if (chars >= maxChars) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  return Object.assign(writer, { flush });
}
