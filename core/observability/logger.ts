/**
 * The one structured logger of gridpulse: one JSON object per line on stdout (stderr for errors), the
 * same in Node and in Workers. Fields whose names look like secrets are redacted before writing, so a
 * token passed in by mistake never reaches a log pipeline.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export type LogWriter = (level: LogLevel, line: string) => void;

/** The trace and span of the code that is running, if any (set by the process's tracing setup). */
export type ActiveSpanIds = () => { traceId: string; spanId: string } | undefined;

let activeSpanIds: ActiveSpanIds | undefined;

/**
 * Makes every line written inside a span carry `trace_id` and `span_id`. Until a process registers
 * a tracing SDK nothing is looked up: lines cost what they did.
 */
export function setActiveSpanIds(source: ActiveSpanIds | undefined): void {
  activeSpanIds = source;
}

const severity: Record<LogLevel | "silent", number> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
  silent: 100,
};

const secretKey =
  /(secret|token|password|passwd|authorization|api[-_]?key|cookie|private[-_]?key|auth)/i;

const consoleWriter: LogWriter = (level, line) => {
  if (level === "error" || level === "warn") console.error(line);
  else console.log(line);
};

export interface LoggerOptions {
  service: string;
  level?: LogLevel | "silent";
  writer?: LogWriter;
  clock?: () => Date;
  fields?: LogFields;
}

export function createLogger(options: LoggerOptions): Logger {
  const threshold = severity[options.level ?? "info"];
  const writer = options.writer ?? consoleWriter;
  const timestamp = options.clock ? () => (options.clock as () => Date)().toISOString() : isoNow;
  // The logger's own fields are redacted and serialised once, on its first line (a request's child
  // logger writes its access-log line with them; most children never write more).
  let basePart: string | undefined;
  const base = () => {
    basePart ??= flatFieldsPart({ service: options.service, ...options.fields });
    return basePart;
  };

  const write = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (severity[level] < threshold) return;
    // `{"ts":…,"level":…,"msg":…,<logger fields>,<line fields>}`: a key repeated in the line's fields
    // comes later and wins for any JSON reader, as the line's fields override the logger's.
    const own = fields ? flatFieldsPart(fields) : "";
    const b = base();
    const span = activeSpanIds?.();
    // Trace and span ids are lowercase hex (the SDK checks them): no escaping needed.
    const ids = span ? `,"trace_id":"${span.traceId}","span_id":"${span.spanId}"` : "";
    writer(
      level,
      `{"ts":"${timestamp()}","level":"${level}","msg":${quoted(msg)}${b ? `,${b}` : ""}${own ? `,${own}` : ""}${ids}}`,
    );
  };

  return {
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
    child: (fields) => createLogger({ ...options, fields: { ...options.fields, ...fields } }),
  };
}

/** The current time in ISO 8601, formatted once per millisecond. */
let isoMs = Number.NaN;
let isoText = "";
function isoNow(): string {
  const ms = Date.now();
  if (ms !== isoMs) {
    isoMs = ms;
    isoText = new Date(ms).toISOString();
  }
  return isoText;
}

/** Messages as JSON strings, remembered (messages are mostly constants such as "request"). */
const quotedMessages = new Map<string, string>();
function quoted(msg: string): string {
  let json = quotedMessages.get(msg);
  if (json === undefined) {
    json = JSON.stringify(msg);
    if (quotedMessages.size < 1000) quotedMessages.set(msg, json);
  }
  return json;
}

/** A logger that drops everything (for tests and tools that must stay quiet). */
export const silentLogger: Logger = createLogger({ service: "silent", level: "silent" });

function redact(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = redactValue(key, value, 0);
  }
  return out;
}

/** Whether a field name looks like a secret's, remembered per name (lines repeat the same names). */
const secretNames = new Map<string, boolean>();
function isSecretName(key: string): boolean {
  let secret = secretNames.get(key);
  if (secret === undefined) {
    secret = secretKey.test(key);
    if (secretNames.size < 10_000) secretNames.set(key, secret);
  }
  return secret;
}

function redactValue(key: string, value: unknown, depth: number): unknown {
  if (isSecretName(key) && value !== undefined && value !== null && typeof value !== "boolean") {
    return "[redacted]";
  }
  if (value instanceof Error) return serializeError(value);
  if (typeof value === "string") return redactUrlCredentials(value);
  if (depth < 4 && value !== null && typeof value === "object" && !Array.isArray(value)) {
    const out: LogFields = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactValue(k, v, depth + 1);
    return out;
  }
  return value;
}

/** Removes `user:password@` from URLs embedded in a string. */
export function redactUrlCredentials(text: string): string {
  if (!text.includes("@")) return text;
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@:]+(:[^/\s@]*)?@/gi, "$1[redacted]@");
}

/**
 * An error as log fields: name, message, code, stack and its `cause` chain, with URL credentials and
 * the parameters of a failed database query removed from every message and stack.
 */
export function serializeError(error: Error): LogFields {
  const message = errorMessage(error);
  const out: LogFields = { name: error.name, message };
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  if (error.stack)
    out.stack = redactUrlCredentials(stackWithout(error.stack, error.message, message));
  if (error.cause instanceof Error) out.cause = serializeError(error.cause);
  return out;
}

const failedQuery = "Failed query: ";
const queryParams = "\nparams: ";

/**
 * An error's message fit for a log line: without URL credentials, and for drizzle's failed query
 * (`Failed query: <sql>\nparams: <values>`) without the values, which are what the query wrote or
 * looked up (webhook signing secrets, push keys, token hashes). The SQL stays.
 */
export function errorMessage(error: Error): string {
  return redactUrlCredentials(
    withoutQueryParams(error.message, (error as { query?: unknown }).query),
  );
}

function withoutQueryParams(message: string, query: unknown): string {
  const start = message.indexOf(failedQuery);
  if (start < 0) return message;
  // drizzle's DrizzleQueryError carries its SQL: the parameters start right after it, whatever the
  // SQL or the values contain.
  if (typeof query === "string") {
    const head = `${failedQuery}${query}${queryParams}`;
    const at = message.indexOf(head, start);
    if (at >= 0) return message.slice(0, at + head.length - queryParams.length);
  }
  const at = message.indexOf(queryParams, start);
  return at < 0 ? message : message.slice(0, at);
}

/** The stack with its message replaced by `safe` (everything after the parameters when not found). */
function stackWithout(stack: string, message: string, safe: string): string {
  if (message === safe) return stack;
  const at = stack.indexOf(message);
  if (at >= 0) return stack.slice(0, at) + safe + stack.slice(at + message.length);
  const params = stack.indexOf(queryParams, Math.max(0, stack.indexOf(failedQuery)));
  return params < 0 ? stack : stack.slice(0, params);
}

/**
 * `fieldsPart(redact(fields))` for the common line — flat fields of strings, finite numbers and
 * booleans (an access-log line) — without the intermediate objects; anything else takes that path.
 */
function flatFieldsPart(fields: LogFields): string {
  let out = "";
  for (const key in fields) {
    const value = fields[key];
    let json: string;
    if (typeof value === "string") {
      json = isSecretName(key) ? '"[redacted]"' : JSON.stringify(redactUrlCredentials(value));
    } else if (typeof value === "number" && Number.isFinite(value) && !isSecretName(key)) {
      json = String(value);
    } else if (typeof value === "boolean") {
      json = String(value);
    } else if (value === undefined) {
      continue;
    } else {
      return fieldsPart(redact(fields));
    }
    out += `${out ? "," : ""}${JSON.stringify(key)}:${json}`;
  }
  return out;
}

/** The members of `fields` as JSON without the braces ("" when empty). */
function fieldsPart(fields: LogFields): string {
  const json = safeStringify(fields);
  return json.length > 2 ? json.slice(1, -1) : "";
}

function safeStringify(record: LogFields): string {
  try {
    // Without a replacer first: JSON.stringify takes its fast path.
    return JSON.stringify(record);
  } catch {
    try {
      return JSON.stringify(record, (_key, value) =>
        typeof value === "bigint" ? value.toString() : value,
      );
    } catch {
      return JSON.stringify({ unserializable: true });
    }
  }
}
