/**
 * Configuration loading shared by every entry point: environment variables are validated once, at
 * start, against a zod schema, and every problem is reported at once with the variable's name.
 */
import { z } from "zod";
import { b64token } from "../http/bearer.ts";

export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(component: string, problems: readonly string[]) {
    super(`invalid ${component} configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

export type EnvSource = Readonly<Record<string, string | undefined>>;

/** Parses `env` with `schema`; empty strings count as unset so `FOO=` falls back to the default. */
export function parseEnv<S extends z.ZodType>(
  component: string,
  schema: S,
  env: EnvSource,
): z.output<S> {
  const cleaned: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== "") cleaned[key] = value.trim();
  }
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join(".") || "(environment)";
    return `${name}: ${issue.message}`;
  });
  throw new ConfigError(component, problems);
}

/**
 * The `when` of a rule across variables (`schema.superRefine(rule, whenValid("A", "B"))`): the rule runs
 * whenever the variables it reads are valid, whatever other variables failed, so one start reports
 * every problem (zod skips an object's refinements once any field failed).
 */
export const whenValid = (...names: string[]) => ({
  when: (payload: z.core.ParsePayload) =>
    !payload.issues.some((issue) => names.includes(String(issue.path?.[0]))),
});

/**
 * A bearer secret a gridpulse route checks in `Authorization: Bearer <token>` (STREAM_INGEST_TOKEN,
 * METRICS_TOKEN, the Worker's TELEMETRY_INGEST_TOKEN): at least 16 characters of RFC 6750's b64token
 * (§2.1: letters, digits, `-._~+/`, then `=` padding only at the end), since a token with any other
 * character could never be presented and match. The messages never echo the value.
 */
export const bearerTokenVar = z
  .string()
  .min(16, "must be at least 16 characters")
  .regex(
    b64token,
    "may contain only letters, digits and - . _ ~ + / with = only at the end (RFC 6750 b64token): no other token can be presented in an Authorization header",
  )
  .optional();

/** A TCP port number given as a string ("0" lets the OS choose). */
export const portVar = (fallback: number) =>
  z.coerce
    .number({ error: "must be a port number" })
    .int("must be an integer")
    .min(0, "must be between 0 and 65535")
    .max(65535, "must be between 0 and 65535")
    .default(fallback);

export const positiveIntVar = (fallback: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number({ error: "must be a number" })
    .int("must be an integer")
    .min(1, "must be at least 1")
    .max(max, `must be at most ${max}`)
    .default(fallback);

export const booleanVar = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0", "yes", "no"], {
      error: "must be one of true, false, 1, 0, yes, no",
    })
    .transform((value) => value === "true" || value === "1" || value === "yes")
    .default(fallback);

export const logLevelVar = z
  .enum(["debug", "info", "warn", "error", "silent"], {
    error: "must be one of debug, info, warn, error, silent",
  })
  .default("info");

/** A whole number of milliseconds within [min, max], with errors that name the bounds. */
function millisecondsVar(min: number, max: number, fallback: number) {
  return z.coerce
    .number({ error: "must be a number of milliseconds" })
    .int("must be an integer")
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`)
    .default(fallback);
}

/** `DATABASE_URL`: an embedded libSQL file or a libSQL server. */
export const databaseUrlVar = z
  .string()
  .refine(
    (value) => /^(file:|libsql:\/\/|https?:\/\/|wss?:\/\/|:memory:$)/.test(value),
    "must start with file:, libsql://, http://, https://, ws:// or wss:// (or be :memory:)",
  );

/** `DATABASE_TIMEOUT_MS`: the deadline of each request to a libSQL server (ms). */
export const databaseTimeoutVar = (fallback: number) =>
  z.coerce.number().int().min(100).max(120_000).default(fallback);

/**
 * `DATABASE_KEPT_STREAMS`: idle libSQL server streams a process keeps for its next requests (0: none;
 * core/db/server-streams.ts).
 */
export const databaseKeptStreamsVar = (fallback: number) =>
  z.coerce.number().int().min(0).max(64).default(fallback);

/**
 * `DATABASE_READ_PIPELINES`: read requests a process keeps in flight to a libSQL server; reads that
 * arrive meanwhile go together in the next (core/db/remote-database.ts). 0: each read at once.
 */
export const databaseReadPipelinesVar = (fallback: number) =>
  z.coerce.number().int().min(0).max(16).default(fallback);

/**
 * `DATABASE_CHECKPOINT_INTERVAL_MS`: embedded file only, how often a thread of the process checkpoints
 * the WAL (platform/db/checkpoints.ts); 0: in the commit that fills it, SQLite's own way.
 */
export const databaseCheckpointIntervalVar = millisecondsVar(0, 60_000, 250);

/** `KAFKA_BROKERS`: comma-separated host:port list; unset means "provision the local broker". */
export const kafkaBrokersVar = z
  .string()
  .transform((value) =>
    value
      .split(",")
      .map((broker) => broker.trim())
      .filter(Boolean),
  )
  .refine(
    (brokers) => brokers.length > 0 && brokers.every((b) => /^[^\s:/]+:\d{1,5}$/.test(b)),
    "must be a comma-separated list of host:port",
  )
  .optional();

/** `KAFKA_TOPIC_PREFIX`: prepended to every topic name (e.g. "staging."). */
export const topicPrefixVar = z
  .string()
  .regex(/^[A-Za-z0-9._-]*$/, "may contain only letters, digits, '.', '_' and '-'")
  .max(100)
  .default("");

const samplers = [
  "always_on",
  "always_off",
  "traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio",
] as const;

/**
 * Trace export, with the standard OpenTelemetry variable names. Nothing is exported unless
 * OTEL_TRACES_EXPORTER names an exporter (the spec's default, otlp, needs a receiver package gridpulse
 * does not ship: here the default is none).
 */
export const tracingVars = {
  OTEL_SDK_DISABLED: booleanVar(false),
  OTEL_TRACES_EXPORTER: z
    .enum(["none", "zipkin", "console"], {
      error:
        "must be none, zipkin or console (otlp is not bundled: use a collector's Zipkin receiver)",
    })
    .default("none"),
  OTEL_EXPORTER_ZIPKIN_ENDPOINT: z
    .url({
      protocol: /^https?$/,
      error: "must be an http(s) URL such as http://127.0.0.1:9411/api/v2/spans",
    })
    .default("http://localhost:9411/api/v2/spans"),
  /** Default: the process's own name (gridpulse-api, gridpulse-stream). */
  OTEL_SERVICE_NAME: z.string().min(1).max(200).optional(),
  OTEL_TRACES_SAMPLER: z
    .enum(samplers, { error: `must be one of ${samplers.join(", ")}` })
    .default("parentbased_always_on"),
  /** The ratio of the traceidratio samplers, 0 … 1. */
  OTEL_TRACES_SAMPLER_ARG: z.coerce
    .number({ error: "must be a number between 0 and 1" })
    .min(0, "must be between 0 and 1")
    .max(1, "must be between 0 and 1")
    .default(1),
  /** Delay between two exports of the batch span processor. */
  OTEL_BSP_SCHEDULE_DELAY: positiveIntVar(5000, 600_000),
};

const tracingSchema = z.object(tracingVars);
export type TracingConfig = z.output<typeof tracingSchema>;

/**
 * `HTTP_HEADERS_TIMEOUT_MS`: how long a client may take to send a request's line and headers to a
 * Node HTTP server of gridpulse (API, stream worker); past it the client gets 408 and the connection
 * is closed (a client that sends them a byte at a time holds a socket no longer).
 */
export const httpHeadersTimeoutVar = millisecondsVar(1000, 120_000, 15_000);
